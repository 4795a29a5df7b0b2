"""Stage times: rolling medians per stage, as /diagnostics shows them."""
import pytest

from looptrans_ros.stage_times import stage_values, STAGES, StageTimes


def test_medians_roll_over_the_window_and_come_out_in_stage_order():
    times = StageTimes(window=3)
    for ms in (100.0, 1.0, 2.0, 3.0):
        times.add('network', ms)
    times.add('decode', 0.5)
    assert times.medians() == {'network': 2.0, 'decode': 0.5}, 'the first time rolled out'
    assert stage_values(times.medians()) == [('stage_decode_ms', '0.50'),
                                             ('stage_network_ms', '2.00')]
    with pytest.raises(KeyError):
        times.add('nap', 1.0)
    assert STAGES[0] == 'receive' and STAGES[-1] == 'publish'
