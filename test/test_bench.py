"""`python -m bench` runs end to end and reports every backend; times are not asserted."""
import pytest

from bench.__main__ import main, TARGETS
from bench.machine import FLAGS
from bench.run import run_benchmark

pytest.importorskip('openvino')


@pytest.fixture(scope='module')
def results():
    """Return one round of the benchmark on the tiny test backbone."""
    return run_benchmark('cpu', threads=None, rounds=2, published_all=False, batch=2,
                         backbone='vit_tiny_test', calls=2)


def test_every_backend_is_timed_one_action_and_all(results):
    ran = [name for name in ('torch_fp32', 'torch_bf16', 'openvino_fp32', 'openvino_bf16',
                             'openvino_int8') if name not in results['skipped']]
    assert {'torch_fp32', 'openvino_fp32', 'openvino_int8'} <= set(ran)
    for name in ran:
        for figure in (f'{name}_one', f'{name}_all', f'{name}_network'):
            times = results['figures'][figure]
            assert 0 < times['min_ms'] <= times['median_ms']
    assert 'published_one' in results['figures'] and 'published_all' not in results['figures']
    assert 'onnxruntime_fp32_network' in results['figures']


def test_ratios_are_taken_per_round_and_cover_the_targets(results):
    for name, _, _ in TARGETS:
        if name.split('_over_')[0].replace('_all', '') in results['skipped']:
            continue
        ratio = results['ratios'][name]
        assert len(ratio['per_round']) == 2
        assert ratio['min'] <= ratio['median']


def test_accuracy_and_machine_facts_are_reported(results):
    assert results['accuracy']['torch_fp32_heatmap_max_abs_diff'] == 0.0
    assert results['accuracy']['openvino_fp32_heatmap_max_abs_diff'] < 1e-4
    assert results['accuracy']['onnxruntime_fp32_raw_max_abs_diff'] < 1e-4
    machine = results['machine']
    assert set(machine['cpu_flags']) == set(FLAGS) and machine['cpus'] >= 1
    assert machine['versions']['torch'] and machine['versions']['openvino']


def test_the_command_prints_figures_ratios_and_targets(results, monkeypatch, capsys):
    monkeypatch.setattr('bench.__main__.run_benchmark', lambda *args, **kwargs: results)
    assert main(['--quick']) == 0
    printed = capsys.readouterr().out
    assert 'openvino_fp32_one' in printed and 'target openvino_fp32_over_torch_fp32' in printed
    assert '"cpu_flags"' in printed
