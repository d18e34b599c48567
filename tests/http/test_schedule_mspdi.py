"""MS Project XML (MSPDI) in and out (issue 17), over HTTP on a real server: real
files from MPXJ's test data (tests/data/mspdi/README.md) import as a project
with the same tasks, outline, dates, people and links; the export of that
project reads back to the same again (a round trip); a hostile or broken file
is refused with a clear reason and nothing is stored."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Server, multipart

from localapp.schedule import mspdi

DATA = Path(__file__).resolve().parent.parent / "data" / "mspdi"


def upload(server: Server, body: bytes, name: str = "plan.xml") -> Any:
    payload, headers = multipart({"file": (name, body, "application/xml")})
    return server.request("POST", "/api/projects/import", payload, headers=headers)


def shape(tasks: list[dict[str, Any]], person: Callable[[str], Any] = str) -> Counter:
    """What a user sees of each task, by names (ids differ between copies): name,
    dates, milestone, people (as `person` reads the assignee), parent and links
    (type and lag), the tasks they name by name and start."""
    by_id = {str(t["id"]): t for t in tasks}

    def who(rid: Any) -> tuple[str, str] | None:
        t = by_id.get(str(rid)) if rid else None
        return (t["name"], t["start"]) if t else None

    return Counter(
        (
            t["name"],
            t["start"],
            t["end"],
            bool(t.get("milestone")),
            person(t.get("assignee") or ""),
            who(t.get("parent")),
            tuple(
                sorted(
                    (
                        who(d),
                        (t.get("links") or {}).get(d, {}).get("type", "FS"),
                        (t.get("links") or {}).get(d, {}).get("lag", 0),
                    )
                    for d in t.get("depends_on") or []
                )
            ),
        )
        for t in tasks
    )


@pytest.mark.parametrize("fixture", ["mpxj-sample1.xml", "mpxj-task-links-project2019.xml"])
def test_an_ms_project_file_round_trips(server: Server, fixture: str) -> None:
    original = (DATA / fixture).read_bytes()
    r = upload(server, original, fixture)
    assert r.status == 201, r.body
    answer = r.json()
    expected = mspdi.read(original)
    assert answer["tasks"] == len(expected.tasks)
    assert answer["notes"] == [{"code": "sf_as_fs", "count": 1}]  # as finish-to-start
    pid = answer["project"]["id"]
    stored = server.request("GET", f"/api/tasks?project_id={pid}&per_page=500").json()["items"]
    assert shape(stored) == shape(expected.tasks)

    out = server.request("GET", f"/api/tasks/export.xml?project_id={pid}")
    assert out.status == 200
    assert out.headers["content-type"] == "application/vnd.ms-project+xml"
    assert "xml" in out.headers["content-disposition"]
    again = upload(server, out.body, "back.xml")
    assert again.status == 201, again.body
    back = again.json()["project"]["id"]
    assert again.json()["notes"] == []  # the start-to-finish link became finish-to-start
    reread = server.request("GET", f"/api/tasks?project_id={back}&per_page=500").json()["items"]
    assert shape(reread) == shape(stored)


def test_the_sample_keeps_its_outline_people_and_links(server: Server) -> None:
    r = upload(server, (DATA / "mpxj-sample1.xml").read_bytes())
    project = r.json()["project"]
    assert project["name"] == "MPXJ Sample"
    tasks = server.request("GET", f"/api/tasks?project_id={project['id']}&per_page=500").json()
    named = {t["name"]: t for t in tasks["items"]}
    assert named["Second Task"]["parent"] == named["First Task"]["id"]
    assert named["Assigned Task 1"]["parent"] == named["Resource Assignments"]["id"]
    assert named["Resource Assignments"]["parent"] == named["Task Relationships"]["id"]
    assert named["Second Task"]["assignee"] == "First Resource、Second Resource"
    assert named["Third task"]["milestone"] is True
    b2 = named["Related Task 2b"]
    assert b2["links"] == {named["Related Task 2a"]["id"]: {"type": "FS", "lag": 1}}
    b4 = named["Related Task 4b"]
    assert b4["links"] == {named["Related Task 4a"]["id"]: {"type": "SS", "lag": 0}}
    # the export carries the outline and the links MS Project reads
    xml = server.request("GET", f"/api/tasks/export.xml?project_id={project['id']}").body
    text = xml.decode("utf-8")
    rows = {
        row.findtext(f"{{{mspdi.NS}}}Name"): row
        for row in ET.fromstring(xml).iter(f"{{{mspdi.NS}}}Task")
    }
    number = {name: row.findtext(f"{{{mspdi.NS}}}OutlineNumber") for name, row in rows.items()}
    assert number["Assigned Task 1"].startswith(number["Resource Assignments"] + ".")
    assert number["Resource Assignments"].startswith(number["Task Relationships"] + ".")
    assert rows["Assigned Task 1"].findtext(f"{{{mspdi.NS}}}OutlineLevel") == "3"
    assert rows["Task Relationships"].findtext(f"{{{mspdi.NS}}}Summary") == "1"
    assert "<Type>3</Type>" in text and "<LinkLag>4800</LinkLag>" in text
    assert "<Name>First Resource</Name>" in text


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Project xmlns="http://schemas.microsoft.com/project"><Name>&lol3;</Name></Project>"""


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (BOMB, "mspdi_invalid"),
        (b"\x89PNG\r\n\x1a\n not xml at all", "mspdi_invalid"),
        (b"<html><body>hi</body></html>", "mspdi_invalid"),
        (
            b'<Project xmlns="http://schemas.microsoft.com/project"><Tasks/></Project>',
            "mspdi_empty",
        ),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(
    server: Server, body: bytes, code: str
) -> None:
    before = server.request("GET", "/api/projects").json()["total"]
    r = upload(server, body)
    assert r.status == 400, r.body
    assert r.json()["error"]["code"] == code
    assert "file" in r.json()["error"]["fields"]
    assert server.request("GET", "/api/projects").json()["total"] == before


def test_the_export_needs_one_project(server: Server) -> None:
    r = server.request("GET", "/api/tasks/export.xml")
    assert r.status == 400 and "project_id" in r.json()["error"]["fields"]
    assert server.request("GET", "/api/tasks/export.xml?project_id=nope").status == 404


# ---- read and written by MPXJ, as GanttProject and ProjectLibre do ---------------
# GanttProject (biz.ganttproject.impex.msproject2) and ProjectLibre read and write MS
# Project files through MPXJ; tests/mpxj_tool.py runs it (Java, in its own process).
TOOL = Path(__file__).resolve().parent.parent / "mpxj_tool.py"


def mpxj(path: Path, mspdi_out: Path | None = None) -> list[dict[str, Any]]:
    cmd = [sys.executable, str(TOOL), str(path)]
    if mspdi_out:
        cmd += ["--mspdi", str(mspdi_out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)["tasks"]


def people(assignee: str) -> tuple[str, ...]:
    return tuple(sorted(p for p in assignee.split("、") if p))


def seen_by_mpxj(tasks: list[dict[str, Any]]) -> Counter:
    """Each task as MPXJ reads it, in the terms of shape(..., people)."""
    by_uid = {t["uid"]: t for t in tasks}

    def who(uid: Any) -> tuple[str, str] | None:
        t = by_uid.get(uid)
        return (t["name"], t["start"]) if t else None

    return Counter(
        (
            t["name"],
            t["start"],
            t["finish"],
            t["milestone"],
            tuple(t["people"]),
            who(t["parent"]),
            tuple(sorted((who(x["uid"]), x["type"], x["lag"]) for x in t["links"])),
        )
        for t in tasks
    )


def project_tasks(server: Server, pid: str) -> list[dict[str, Any]]:
    return server.request("GET", f"/api/tasks?project_id={pid}&per_page=500").json()["items"]


@pytest.mark.parametrize("fixture", ["mpxj-sample1.xml", "mpxj-task-links-project2019.xml"])
def test_the_app_reads_a_file_as_mpxj_does(server: Server, fixture: str) -> None:
    """Imported tasks match what MPXJ reads from the same file (MPXJ is the
    reference here, not our own parser); a start-to-finish link, which the app
    does not have, becomes finish-to-start, as the import says."""
    r = upload(server, (DATA / fixture).read_bytes(), fixture)
    assert r.status == 201, r.body
    expected = seen_by_mpxj(mpxj(DATA / fixture))
    expected = Counter(
        {
            (*row[:6], tuple(sorted((n, "FS" if k == "SF" else k, lag) for n, k, lag in row[6]))): c
            for row, c in expected.items()
        }
    )
    assert shape(project_tasks(server, r.json()["project"]["id"]), people) == expected


def test_a_plan_round_trips_through_mpxj(server: Server, tmp_path: Path) -> None:
    """A plan made in the app, with Chinese names, a summary task, links of each
    kind with lags, a milestone and people: MPXJ reads our export as the same plan,
    saves it as MS Project XML as GanttProject and ProjectLibre would, and that file
    imports as the same plan again."""
    pid = server.request("POST", "/api/projects", {"name": "官网改版"}).json()["id"]

    def add(**task: Any) -> str:
        r = server.request("POST", "/api/tasks", {"project_id": pid, **task})
        assert r.status == 201, r.body
        return str(r.json()["id"])

    design = add(name="设计阶段", start="2027-03-01", end="2027-03-12")
    review = add(
        name="需求评审", start="2027-03-01", end="2027-03-03", assignee="李娜", parent=design
    )
    proto = add(
        name="原型设计",
        start="2027-03-05",
        end="2027-03-09",
        assignee="王伟、李娜",
        parent=design,
        depends_on=[review],
        links={review: {"type": "FS", "lag": 1}},
    )
    build = add(
        name="前端开发",
        start="2027-03-05",
        end="2027-03-12",
        assignee="张敏",
        depends_on=[proto],
        links={proto: {"type": "SS", "lag": 0}},
    )
    test = add(
        name="联调测试",
        start="2027-03-15",
        end="2027-03-16",
        depends_on=[build],
        links={build: {"type": "FF", "lag": 2}},
    )
    add(name="正式上线", start="2027-03-17", end="2027-03-17", milestone=True, depends_on=[test])
    stored = project_tasks(server, pid)
    assert len(stored) == 6

    ours = tmp_path / "官网改版.xml"
    out = server.request("GET", f"/api/tasks/export.xml?project_id={pid}")
    assert out.status == 200
    ours.write_bytes(out.body)
    theirs = tmp_path / "saved-by-mpxj.xml"
    read = mpxj(ours, theirs)
    assert seen_by_mpxj(read) == shape(stored, people)
    assert {t["name"] for t in read if t["summary"]} == {"设计阶段"}

    again = upload(server, theirs.read_bytes(), "saved-by-mpxj.xml")
    assert again.status == 201, again.body
    assert again.json()["notes"] == []
    back = project_tasks(server, again.json()["project"]["id"])
    assert shape(back, people) == shape(stored, people)
