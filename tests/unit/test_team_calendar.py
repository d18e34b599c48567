"""The team calendar (issue 16): a team's own days read from real files (holiday-cn's
2026 .ics and JSON, a company's 2027 .ics), on top of China's calendar, and the
scheduling rules counting with them."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ROOT

from localapp import errors
from localapp.schedule.calendar import NATIONAL, WorkCalendar
from localapp.schedule.scheduling import reschedule
from localapp.schedule.teamdays import read_days

DATA = ROOT / "tests" / "data"


def test_holiday_cn_ics_and_json_give_the_same_days() -> None:
    ics = read_days((DATA / "holiday-cn" / "2026.ics").read_bytes())
    js = read_days((DATA / "holiday-cn" / "2026.json").read_bytes())
    assert {d["date"]: d["kind"] for d in ics} == {d["date"]: d["kind"] for d in js}
    kinds = {d["date"]: d["kind"] for d in js}
    assert kinds["2026-02-16"] == "holiday" and kinds["2026-02-14"] == "workday"
    # and they agree with the chinesecalendar package for that year
    for d in js:
        assert NATIONAL.is_workday(dt.date.fromisoformat(d["date"])) == (d["kind"] == "workday")


def test_a_company_ics_makes_holidays_and_worked_days() -> None:
    days = read_days((DATA / "team-2027.ics").read_bytes())
    assert days == [
        {"date": "2027-01-16", "kind": "workday", "name": "补班（年底交付）"},
        {"date": "2027-01-21", "kind": "holiday", "name": "公司年会"},
        {"date": "2027-01-22", "kind": "holiday", "name": "公司年会"},
    ]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"name,date\n2027-01-01,x\n", "not_a_calendar"),
        (b'{"year": 2027, "days": []}', "no_days"),
        (b'{"days": [{"date": "2027-02-30", "isOffDay": true}]}', "not_a_calendar"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no_days"),
        ("\u65e5\u5386".encode("gbk"), "not_a_calendar"),
    ],
)
def test_a_file_that_is_no_calendar_is_refused_with_the_reason(body: bytes, why: str) -> None:
    with pytest.raises(errors.ValidationError) as exc:
        read_days(body)
    assert exc.value.fields == {"file": why}
    assert ".ics" in exc.value.message


def test_team_days_win_over_the_national_calendar_and_move_tasks() -> None:
    cal = WorkCalendar.of(
        [
            {"date": "2027-01-21", "kind": "holiday", "name": "公司年会"},
            {"date": "2027-01-22", "kind": "holiday", "name": "公司年会"},
            {"date": "2027-01-16", "kind": "workday", "name": "补班"},
            {"date": "not a date", "kind": "holiday"},
        ]
    )
    thu, sat = dt.date(2027, 1, 21), dt.date(2027, 1, 16)
    assert NATIONAL.is_workday(thu) and not cal.is_workday(thu)
    assert not NATIONAL.is_workday(sat) and cal.is_workday(sat)
    listed = {d["date"]: d for d in cal.special_days(dt.date(2027, 1, 14), dt.date(2027, 1, 24))}
    assert listed["2027-01-21"]["team"] and listed["2027-01-16"]["kind"] == "workday"
    # A 2-working-day task after one ending Wed 20 January starts Mon 25 (Thu and
    # Fri are the retreat), and ends Tue 26; nationally it would be Thu 21 - Fri 22.
    tasks = {
        "a": {"id": "a", "start": "2027-01-18", "end": "2027-01-20"},
        "b": {"id": "b", "start": "2027-01-04", "end": "2027-01-05", "depends_on": ["a"]},
    }

    def successors(rid: str) -> list[str]:
        return ["b"] if rid == "a" else []

    assert reschedule(["a"], tasks.get, successors, cal)["b"] == ("2027-01-25", "2027-01-26")
    assert reschedule(["a"], tasks.get, successors)["b"] == ("2027-01-21", "2027-01-22")
