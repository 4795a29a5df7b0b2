"""Rate-limited warnings: one per kind per period, with the count of those held back."""
from looptrans_ros.log_limiter import LogLimiter


def test_one_message_per_kind_per_period_and_the_held_back_count():
    logged, now = [], [0.0]
    limit = LogLimiter(logged.append, period_s=1.0, clock=lambda: now[0])
    for step in range(100):  # 100 Hz of one kind of garbage, numbers varying
        now[0] = step * 0.01
        limit(f'rejected a frame: step {step} is below 192')
    limit("rejected a frame: unsupported image encoding 'yuv422'")
    assert logged == ['rejected a frame: step 0 is below 192',
                      "rejected a frame: unsupported image encoding 'yuv422'"]
    now[0] = 1.5
    limit('rejected a frame: step 7 is below 192')
    assert logged[-1] == 'rejected a frame: step 7 is below 192 (99 more like it held back)'
