"""The soak's short form (`python -m bench.soak --frames 200`): every frame accounted for.

Times are the benchmark's to report; this asserts the accounting only: each camera's received
frames are processed, dropped, rejected or failed; nothing failed; every bad frame `right` sent
was rejected unless DDS lost it before the node; and each run's node exited 0 without a
traceback. Both transports, each a clean run and a run with bad frames.
"""
import json
from pathlib import Path
import subprocess
import sys

from ros_required import package_share

FRAMES = 200
REPO = Path(__file__).resolve().parents[2]


def test_the_short_soak_accounts_for_every_frame(tmp_path: Path):
    package_share()
    out = tmp_path / 'soak.json'
    run = subprocess.run([sys.executable, '-m', 'bench.soak', '--frames', str(FRAMES),
                          '--rate', '50', '--transports', 'raw', 'compressed', '--tuning',
                          '--json', str(out)], cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads(out.read_text())
    assert set(results['runs']) == {'raw_clean', 'raw_bad', 'compressed_clean',
                                    'compressed_bad'}
    for name, soak_run in results['runs'].items():
        assert soak_run['node_exit_code'] == 0 and not soak_run['node_traceback'], name
        for camera, counts in soak_run['cameras'].items():
            assert counts['sent'] == FRAMES, (name, camera)
            assert counts['accounted'] and counts['failed'] == 0, (name, camera, counts)
            assert counts['dds_lost'] == FRAMES - counts['received'] >= 0, (name, camera)
            assert counts['processed'] > 0, (name, camera)
            expected_bad = FRAMES // 100 if soak_run['bad_frames'] and camera == 'right' else 0
            assert counts['bad_sent'] == expected_bad, (name, camera)
            lost = min(counts['bad_sent'], counts['dds_lost'])
            assert counts['bad_sent'] - lost <= counts['rejected'] <= counts['bad_sent'], (
                name, camera, counts)
    kinds = {name: results['runs'][f'{name}_bad']['cameras']['right']['bad_sent_by_kind']
             for name in ('raw', 'compressed')}
    assert kinds['raw'] == {'truncated data': 1, 'wrong step': 1, 'unknown encoding': 0,
                            '0x0 image': 0}, 'the bad kinds take turns'
    assert list(kinds['compressed'].values()) == [1, 1, 0]
    assert set(results['targets']) == {'raw', 'compressed'}
