"""Slow hooks keep to their lane; wake-ups go to one idle thread at a time."""

from __future__ import annotations

import threading
import time

from connector.delivery.lanes import HookLanes
from connector.delivery.worker import Wakeup


def test_a_quick_hook_may_take_every_thread():
    lanes = HookLanes(lanes=1, slow_seconds=1.0)
    lanes.enter("hk_quick")
    lanes.leave("hk_quick", seconds=0.01, attempted=1)

    entered = [lanes.enter("hk_quick") for _ in range(4)]

    assert entered == [True] * 4
    assert lanes.crowded() == []


def test_a_hook_not_heard_from_keeps_to_one_lane_until_it_answers():
    lanes = HookLanes(lanes=1, slow_seconds=1.0)

    first = lanes.enter("hk_new")
    second = lanes.enter("hk_new")
    crowded = lanes.crowded()
    freed = lanes.leave("hk_new", seconds=0.2, attempted=1)
    lanes.enter("hk_new")
    freed_again = lanes.leave("hk_new", seconds=0.2, attempted=1)

    assert (first, second) == (True, False)
    assert crowded == ["hk_new"]
    assert (freed, freed_again) == (True, False)
    assert lanes.is_quick("hk_new")
    assert lanes.enter("hk_new") and lanes.enter("hk_new")


def test_a_request_in_flight_past_the_mark_makes_its_hook_slow_at_once():
    lanes = HookLanes(lanes=1, slow_seconds=0.05)
    lanes.enter("hk")
    lanes.leave("hk", seconds=0.001, attempted=1)

    lanes.enter("hk")
    before = lanes.is_slow("hk")
    time.sleep(0.1)
    during = lanes.is_slow("hk")
    refused = not lanes.enter("hk")

    assert not before
    assert during
    assert refused


def test_a_chunk_in_flight_is_slow_only_past_the_mark_for_all_its_deliveries():
    lanes = HookLanes(lanes=1, slow_seconds=0.05)
    lanes.enter("hk")
    lanes.leave("hk", seconds=0.001, attempted=1)

    lanes.enter("hk", deliveries=10)
    time.sleep(0.1)

    assert not lanes.is_slow("hk")


def test_a_slow_hook_gets_one_lane_and_is_crowded_while_it_is_taken():
    lanes = HookLanes(lanes=1, slow_seconds=1.0)
    assert lanes.enter("hk_slow")
    lanes.leave("hk_slow", seconds=3.0, attempted=2)

    first = lanes.enter("hk_slow")
    second = lanes.enter("hk_slow")
    crowded = lanes.crowded()
    lanes.leave("hk_slow", seconds=1.5, attempted=1)

    assert first
    assert not second
    assert crowded == ["hk_slow"]
    assert lanes.crowded() == []
    assert lanes.enter("hk_other")


def test_a_slow_hook_that_turns_quick_is_free_again():
    lanes = HookLanes(lanes=1, slow_seconds=1.0)
    lanes.enter("hk")
    lanes.leave("hk", seconds=2.0, attempted=1)
    lanes.enter("hk")
    lanes.leave("hk", seconds=0.1, attempted=1)

    assert lanes.enter("hk")
    assert lanes.enter("hk")


def test_the_slow_mark_wears_off():
    lanes = HookLanes(lanes=1, slow_seconds=1.0, memory_seconds=0.05)
    lanes.enter("hk")
    lanes.leave("hk", seconds=2.0, attempted=1)
    time.sleep(0.1)

    # Back to a hook not heard from: not slow, one lane until it answers.
    assert not lanes.is_slow("hk")
    assert lanes.enter("hk")
    lanes.leave("hk", seconds=0.1, attempted=1)
    assert lanes.enter("hk") and lanes.enter("hk")


def test_hand_backs_without_an_attempt_leave_the_mark_alone():
    lanes = HookLanes(lanes=1, slow_seconds=1.0)
    lanes.enter("hk")
    lanes.leave("hk", seconds=2.0, attempted=1)
    lanes.enter("hk")
    lanes.leave("hk", seconds=0.0, attempted=0)
    lanes.enter("hk")

    assert not lanes.enter("hk")


def test_one_notification_wakes_one_waiting_thread():
    wakeup = Wakeup()
    woken: list[bool] = []
    threads = [
        threading.Thread(target=lambda: woken.append(wakeup.wait(1.0)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)

    wakeup.notify()
    for thread in threads:
        thread.join(timeout=5)

    assert sorted(woken) == [False, False, True]


def test_a_stop_wakes_every_waiting_thread():
    wakeup = Wakeup()
    stop = threading.Event()
    threads = [
        threading.Thread(target=wakeup.wait, args=(30.0, stop)) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.1)

    stop.set()
    wakeup.notify_all()
    for thread in threads:
        thread.join(timeout=5)

    assert not any(thread.is_alive() for thread in threads)


def test_a_notification_with_no_one_waiting_is_kept_for_the_next():
    wakeup = Wakeup()
    wakeup.notify()

    started = time.monotonic()
    woken = wakeup.wait(5.0)

    assert woken
    assert time.monotonic() - started < 1.0


def test_a_request_far_past_its_hooks_usual_time_makes_it_slow_early():
    lanes = HookLanes(lanes=1, slow_seconds=1.0, suspect_floor=0.05)
    for hook_id, usual in (("hk_quick", 0.001), ("hk_steady", 0.5)):
        lanes.enter(hook_id)
        lanes.leave(hook_id, seconds=usual, attempted=1)
        lanes.enter(hook_id)

    time.sleep(0.1)

    # 0.1 s is a hundred times the first hook's usual answer, a fifth of
    # the second's.
    assert lanes.is_slow("hk_quick")
    assert not lanes.is_slow("hk_steady")
