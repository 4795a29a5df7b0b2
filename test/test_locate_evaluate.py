"""`evaluate --checkpoint <LOCATE file>` against LOCATE's test.py loop, written out by hand.

The reference walks the test tree as LOCATE's TestData does (an image counts when its GT
`<stem>.png` exists; the label is the affordance folder's index in LOCATE's list), reads each
image with PIL and LOCATE's test transform, runs the independent LOCATE network, resizes and
min-max normalises its map (`normalize_map`), reads the GT with cv2 (IMREAD_GRAYSCALE) / 255
resized to 224, and scores KLD, SIM and NSS with LOCATE's formulas.
"""
import json
import os

import cv2
from PIL import Image
import pytest

import locate_reference
from locate_reference import save_locate_file, TINY
from looptrans_core.cli import main
from synth_fixtures import synth_root  # noqa: F401


def locate_test_py(net, root):
    """Return {<affordance>/<object>/<file>: (KLD, SIM, NSS)} as LOCATE's test.py computes."""
    image_root, mask_root = root / 'Seen/testset/egocentric', root / 'Seen/testset/GT'
    scores = {}
    for action in os.listdir(image_root):
        for obj in os.listdir(image_root / action):
            for name in os.listdir(image_root / action / obj):
                mask = mask_root / action / obj / (name[:-3] + 'png')
                if not mask.exists():
                    continue
                image = locate_reference.TEST_TRANSFORM(
                    Image.open(image_root / action / obj / name).convert('RGB'))[None]
                label = locate_reference.SEEN.index(action)
                raw = net.test_forward(image, [label])[0].numpy()
                pred = locate_reference.normalize_map(raw)
                gt = cv2.resize(cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE) / 255.0, (224, 224))
                scores[f'{action}/{obj}/{name}'] = locate_reference.locate_metrics(pred, gt)
    return scores


def test_evaluate_runs_locates_protocol(synth_root, tmp_path, capsys):  # noqa: F811
    path = tmp_path / 'locate_seen.pth'
    net = save_locate_file(path, len(locate_reference.SEEN), 5, **TINY)
    out = tmp_path / 'result.json'
    assert main(['evaluate', '--data-root', str(synth_root), '--divide', 'Seen',
                 '--checkpoint', str(path), '--image-backend', 'pil', '--json', str(out),
                 '--device', 'cpu']) == 0
    assert f'model: locate (Seen) from {path}' in capsys.readouterr().out
    document = json.loads(out.read_text())
    expected = locate_test_py(net, synth_root)
    assert set(document['per_image']) == set(expected) and len(expected) > 5
    for key, (kld, sim, nss) in expected.items():
        ours = document['per_image'][key]
        assert ours['KLD'] == pytest.approx(kld, rel=1e-4)
        assert ours['SIM'] == pytest.approx(sim, rel=1e-4)
        assert ours['NSS'] == pytest.approx(nss, rel=1e-4)
    for index, name in enumerate(('KLD', 'SIM', 'NSS')):
        mean = sum(v[index] for v in expected.values()) / len(expected)
        assert document[name] == pytest.approx(mean, rel=1e-4)


def test_evaluate_refuses_a_locate_file_of_the_other_split(synth_root, tmp_path,  # noqa: F811
                                                           capsys):
    path = tmp_path / 'locate_unseen.pth'
    save_locate_file(path, len(locate_reference.UNSEEN), 5, **TINY)
    assert main(['evaluate', '--data-root', str(synth_root), '--divide', 'Seen',
                 '--checkpoint', str(path), '--device', 'cpu']) == 2
    assert 'grounds 25 affordances (Unseen); the Seen divide needs its 36' in (
        capsys.readouterr().err)
