"""bench.geometry_cost runs end to end and reports what it measured (no speed is asserted)."""
import json

from bench.geometry_cost import main, TARGET


def test_geometry_cost_reports_rounds_ratios_and_the_machine(tmp_path, capsys):
    out = tmp_path / 'geometry.json'
    status = main(['--rounds', '1', '--repeats', '1', '--threads', '1', '--json', str(out)])
    results = json.loads(out.read_text())
    (only,) = results['rounds']
    stages = ('frame', 'pipeline', 'spatial', 'spatial_hot')
    assert min(only[f'{stage}_ms'] for stage in stages) > 0
    assert only['cloud_points_hot'] == 120 * 160  # every 4th pixel of 640 x 480, all with depth
    assert 0 < only['cloud_points'] < only['cloud_points_hot']
    for ratio in results['ratios'].values():
        assert ratio['per_round'] == [ratio['median']]
    assert status == (0 if all(r['median'] <= TARGET for r in results['ratios'].values()) else 1)
    assert results['machine']['cpu_model']
    assert 'target spatial_over_frame' in capsys.readouterr().out
