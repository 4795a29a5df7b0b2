"""The bag tool on bad bags: one clear line and exit 2, or the bad frames skipped and counted.

The input is never modified, and the output appears whole or not at all.
"""
import hashlib
from pathlib import Path

import numpy as np
import pytest
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from test_bag_grounding import compressed, image, STORE, write_bag

from encoded_images import png_declaring
from looptrans_ros import bag_grounding

TOPIC = '/cam'


@pytest.fixture(autouse=True)
def tiny_model(monkeypatch, tiny_grounder):
    monkeypatch.setattr(bag_grounding, 'load_default_grounder',
                        lambda *a, **k: (tiny_grounder, []))


def digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob('*') if p.is_file())
    return hashlib.sha256(b''.join(p.name.encode() + p.read_bytes() for p in files)).hexdigest()


def run(source: Path, output: Path, *extra: str) -> int:
    return bag_grounding.main(['--input', str(source), '--output', str(output), '--topic', TOPIC,
                               '--action', 'cut', *extra])


def test_bad_frames_are_skipped_counted_and_the_input_is_untouched(tmp_path, scene, capsys):
    frames = [compressed(scene, 1), compressed(scene, 2, data=png_declaring(100_000, 100_000)),
              compressed(scene, 3)]
    with Writer(tmp_path / 'garbled', version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        connection = writer.add_connection(TOPIC, frames[0].__msgtype__, typestore=STORE)
        for message in frames:
            writer.write(connection, message.header.stamp.sec * 10**9,
                         STORE.serialize_cdr(message, message.__msgtype__))
        writer.write(connection, 4 * 10**9, b'\x00\x01\x00\x00garbage')
    before = digest(tmp_path / 'garbled')
    assert run(tmp_path / 'garbled', tmp_path / 'out') == 0
    assert digest(tmp_path / 'garbled') == before
    printed = capsys.readouterr().out
    assert 'grounded 2 frame(s)' in printed and 'skipped 2' in printed
    assert 'over the limit of 50000000' in printed and 'does not deserialize' in printed
    with Reader(tmp_path / 'out') as reader:
        counts = {c.topic: c.msgcount for c in reader.connections}
    assert counts['/looptrans/peaks'] == 2 and counts[TOPIC] == 4, 'the input is copied whole'


def test_existing_output_needs_overwrite_and_output_must_not_be_the_input(tmp_path, scene,
                                                                          capsys):
    source = tmp_path / 'in'
    write_bag(source, StoragePlugin.SQLITE3, TOPIC, [image(scene, 1)])
    assert run(source, tmp_path / 'out') == 0
    assert run(source, tmp_path / 'out') == 2
    assert 'exists already; remove it or pass --overwrite' in capsys.readouterr().err
    assert run(source, tmp_path / 'out', '--overwrite') == 0
    assert run(source, source) == 2 and run(source, source / 'sub') == 2
    assert 'is the input bag or inside it' in capsys.readouterr().err


def test_a_bag_file_names_its_folder_and_a_bare_file_is_refused(tmp_path, scene, capsys):
    source = tmp_path / 'in'
    write_bag(source, StoragePlugin.MCAP, TOPIC, [image(scene, 1)])
    mcap = next(source.glob('*.mcap'))
    assert run(mcap, tmp_path / 'out') == 0
    lonely = tmp_path / 'lonely'
    lonely.mkdir()
    (lonely / 'x.mcap').write_bytes(mcap.read_bytes())
    assert run(lonely / 'x.mcap', tmp_path / 'out2') == 2
    assert 'has no metadata.yaml' in capsys.readouterr().err


def test_an_mcap_cut_off_mid_write_gives_its_readable_frames_in_a_complete_output(
        tmp_path, capsys):
    source = tmp_path / 'in'
    frame = np.zeros((240, 320, 3), np.uint8)
    write_bag(source, StoragePlugin.MCAP, TOPIC, [image(frame, sec) for sec in range(1, 11)])
    mcap = next(source.glob('*.mcap'))
    data = mcap.read_bytes()
    mcap.write_bytes(data[:len(data) * 6 // 10])  # no summary, the last chunk cut through
    before = digest(source)
    assert run(source, tmp_path / 'out') == 0
    assert digest(source) == before
    printed = capsys.readouterr().out
    assert 'the input is cut off' in printed and 'read the 5 message(s) of the 10' in printed
    assert 'grounded 5 frame(s)' in printed
    with Reader(tmp_path / 'out') as reader:  # a complete bag: rosbags opens it from its summary
        counts = {c.topic: c.msgcount for c in reader.connections}
        stamps = [stamp for _, stamp, _ in reader.messages(
            [c for c in reader.connections if c.topic == '/looptrans/peaks'])]
    assert counts[TOPIC] == 5 and counts['/looptrans/peaks'] == 5
    assert stamps == [sec * 10**9 for sec in range(1, 6)]


def test_a_bag_with_nothing_readable_is_one_line_and_leaves_no_output(tmp_path, scene, capsys):
    source = tmp_path / 'in'
    write_bag(source, StoragePlugin.MCAP, TOPIC, [image(scene, sec) for sec in range(1, 6)])
    mcap = next(source.glob('*.mcap'))
    mcap.write_bytes(mcap.read_bytes()[:20])
    assert run(source, tmp_path / 'out') == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f'bag_grounding: cannot read bag {source}') and '\n' not in error
    assert not (tmp_path / 'out').exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.out.partial')]
