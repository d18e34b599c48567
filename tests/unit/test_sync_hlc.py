"""Hybrid logical clock: stamps sort like time, never repeat, and a clock
too far ahead is refused with an error a person can act on."""

from __future__ import annotations

import pytest

from localapp.sync import hlc
from localapp.sync.errors import BadStamp, ClockDrift


class FakeTime:
    """A wall clock the test moves by hand (seconds, like time.time)."""

    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_stamp_is_fixed_width_and_round_trips() -> None:
    s = hlc.encode(1_700_000_000_123, 7, "desk1")
    assert s == "1700000000123-00007-desk1"
    assert hlc.parse(s) == hlc.Stamp(1_700_000_000_123, 7, "desk1")
    assert hlc.replica_of(s) == "desk1"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "123-00001-a",
        "1700000000123-1-a",
        "1700000000123-00001-",
        "1700000000123-00001-a b",
        "1700000000123-00001-a-b",
        42,
    ],
)
def test_malformed_stamps_are_refused(bad: object) -> None:
    with pytest.raises(BadStamp) as e:
        hlc.parse(bad)  # type: ignore[arg-type]
    assert e.value.title and "stamp" in e.value.message


def test_bad_replica_id_is_refused() -> None:
    with pytest.raises(BadStamp):
        hlc.Clock("has space")


def test_local_stamps_strictly_increase_even_when_wall_clock_stands_still_or_goes_back() -> None:
    t = FakeTime()
    clock = hlc.Clock("a", now=t)
    stamps = [clock.now() for _ in range(5)]
    t.t -= 60  # NTP stepped the clock back a minute
    stamps += [clock.now() for _ in range(5)]
    t.t += 120
    stamps.append(clock.now())
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert hlc.parse(stamps[-1]).counter == 0  # back on physical time


def test_counter_overflow_borrows_the_next_millisecond_and_stays_sortable() -> None:
    t = FakeTime()
    clock = hlc.Clock("a", now=t, last=hlc.encode(int(t.t * 1000), hlc.MAX_COUNTER, "a"))
    s = clock.now()
    assert hlc.parse(s) == hlc.Stamp(int(t.t * 1000) + 1, 0, "a")
    assert s > hlc.encode(int(t.t * 1000), hlc.MAX_COUNTER, "a")


def test_update_moves_past_a_remote_stamp_so_replies_sort_after_what_they_saw() -> None:
    t = FakeTime()
    a = hlc.Clock("a", now=t)
    b_wall = FakeTime(t.t + 2)  # b's clock is 2 s ahead: within the limit
    b = hlc.Clock("b", now=b_wall)
    sent = b.now()
    received = a.update(sent)
    assert received > sent
    assert a.now() > received  # later local events stay after it, although a's wall clock lags
    assert hlc.parse(received).replica == "a"


def test_resume_from_last_never_reissues_a_stamp() -> None:
    t = FakeTime()
    first = hlc.Clock("a", now=t)
    issued = [first.now() for _ in range(3)]
    t.t -= 10  # restarted with a clock that went back
    again = hlc.Clock("a", now=t, last=first.last)
    assert again.now() > issued[-1]


def test_stamp_too_far_ahead_is_refused_naming_replica_and_drift() -> None:
    t = FakeTime()
    clock = hlc.Clock("a", now=t)
    before = clock.now()
    future = hlc.encode(int(t.t * 1000) + 6 * 60 * 1000, 0, "laptop2")
    with pytest.raises(ClockDrift) as e:
        clock.update(future)
    err = e.value
    assert err.title == "Clock out of sync"
    assert "laptop2" in err.message and "6 minutes" in err.message and "5 minutes" in err.message
    assert err.to_dict()["error"]["code"] == "clock_drift"
    assert err.extra["drift_ms"] == 6 * 60 * 1000
    assert clock.now() > before and clock.now() < future  # the refused stamp left no trace


def test_drift_limit_is_configurable() -> None:
    t = FakeTime()
    strict = hlc.Clock("a", now=t, max_drift_ms=1000)
    with pytest.raises(ClockDrift):
        strict.update(hlc.encode(int(t.t * 1000) + 2000, 0, "b"))
    lenient = hlc.Clock("a", now=t, max_drift_ms=3_600_000)
    assert lenient.update(hlc.encode(int(t.t * 1000) + 10 * 60 * 1000, 0, "b"))


def test_stamps_from_the_past_are_always_accepted() -> None:
    t = FakeTime()
    clock = hlc.Clock("a", now=t)
    old = hlc.encode(int(t.t * 1000) - 86_400_000, 3, "b")
    assert clock.update(old) > old


def test_stamps_are_unique_across_threads() -> None:
    import threading

    clock = hlc.Clock("a", now=FakeTime())  # frozen wall clock: only the counter moves
    out: list[list[str]] = [[] for _ in range(4)]

    def work(i: int) -> None:
        out[i].extend(clock.now() for _ in range(2000))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    every = [s for part in out for s in part]
    assert len(every) == 8000 and len(set(every)) == 8000
    assert all(part == sorted(part) for part in out)
