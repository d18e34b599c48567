"""The record kernel (localapp/records.py), no server: the one GC pause and the stamps."""

from __future__ import annotations

import gc
import threading

from localapp.records import gc_paused, new_ids, same, stamp_change, stamp_new, stamp_tombstone


def test_the_gc_stays_paused_until_the_last_bulk_operation_ends() -> None:
    """An import starts, a sync apply starts on another thread, the import
    ends first: it must not switch the collector back on under the apply
    (with two uncounted pauses it did)."""
    assert gc.isenabled()
    apply_inside, import_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def apply() -> None:
        with gc_paused():
            apply_inside.set()
            import_done.wait(10)
            seen.append(gc.isenabled())

    with gc_paused():  # the import
        t = threading.Thread(target=apply)
        t.start()
        assert apply_inside.wait(10)
    import_done.set()
    t.join(10)
    assert seen == [False], "the collector was switched on during the apply"
    assert gc.isenabled()


def test_a_pause_inside_a_disabled_collector_leaves_it_disabled() -> None:
    gc.disable()
    try:
        with gc_paused(), gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_stamps_count_revisions_and_keep_deletions_as_tombstones() -> None:
    new = stamp_new("a1", {"name": "螺丝刀"}, "2026-01-01T00:00:00.000Z")
    assert new["rev"] == 1 and new["deleted"] is False and new["created_at"] == new["updated_at"]
    gone = stamp_tombstone(new, "2026-01-02T00:00:00.000Z")
    assert gone["rev"] == 2 and gone["deleted"] is True and gone["name"] == "螺丝刀"
    back = stamp_change(gone, {"name": "一字螺丝刀"}, "2026-01-03T00:00:00.000Z")
    assert (back["rev"], back["deleted"], back["deleted_at"]) == (3, False, None)
    assert back["created_at"] == "2026-01-01T00:00:00.000Z"
    assert not same(1, 1.0) and not same(1, True) and same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    ids = new_ids(1000)
    assert len(set(ids)) == 1000 and all(len(i) == 32 and i[12] == "4" for i in ids)
