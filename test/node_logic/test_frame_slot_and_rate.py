"""The newest-frame slot under concurrent producers, and the rate limiter."""
import threading

from looptrans_ros.frame_slot import LatestFrameSlot
from looptrans_ros.rate_limiter import RateLimiter


def test_slot_keeps_newest_and_counts_drops():
    slot = LatestFrameSlot()
    assert slot.take(timeout=0) is None
    assert slot.put(1) is False
    assert slot.put(2) is True
    assert slot.take() == 2 and slot.take(timeout=0) is None
    assert (slot.received, slot.dropped) == (2, 1)


def test_slot_under_concurrent_producers_and_a_consumer():
    slot = LatestFrameSlot()
    producers, per_producer = 4, 500
    taken = []
    done = threading.Event()

    def consume():
        while not (done.is_set() and slot.take(timeout=0) is None):
            frame = slot.take(timeout=0.01)
            if frame is not None:
                taken.append(frame)

    def produce(index):
        for count in range(per_producer):
            slot.put((index, count))

    consumer = threading.Thread(target=consume)
    consumer.start()
    threads = [threading.Thread(target=produce, args=(i,)) for i in range(producers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    consumer.join()
    assert slot.received == producers * per_producer
    assert slot.dropped + len(taken) == slot.received
    for index in range(producers):
        counts = [count for who, count in taken if who == index]
        assert counts == sorted(counts), "a producer's frames came out of order"


def test_close_wakes_a_waiting_consumer():
    slot = LatestFrameSlot()
    result = []
    consumer = threading.Thread(target=lambda: result.append(slot.take()))
    consumer.start()
    slot.close()
    consumer.join(timeout=5)
    assert result == [None] and slot.closed


def test_rate_limiter_spaces_runs():
    now = [100.0]
    limiter = RateLimiter(4.0, clock=lambda: now[0])
    assert limiter.delay() == 0.0
    limiter.mark_start()
    now[0] += 0.1
    assert abs(limiter.delay() - 0.15) < 1e-9
    now[0] += 0.2
    assert limiter.delay() == 0.0
    limiter.max_rate_hz = 0.0
    limiter.mark_start()
    assert limiter.delay() == 0.0


def test_rate_limiter_refuses_negative_rates():
    try:
        RateLimiter(-1.0)
    except ValueError as error:
        assert 'max_rate_hz must be >= 0' in str(error)
    else:
        raise AssertionError('negative rate accepted')
