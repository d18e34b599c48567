"""The schedule's PDF export over HTTP (issue 17): what the chart shows, Chinese
printed from an embedded font subset, named like the other exports; checked
by extracting its text and rendering it with poppler."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from urllib.parse import unquote

from conftest import Server, require_tool


def test_the_pdf_export_prints_the_chinese_schedule(
    server: Server, tmp_path: Path, artifacts: Path
) -> None:
    pdftotext, pdftoppm = require_tool("pdftotext"), require_tool("pdftoppm")
    project = server.request("POST", "/api/projects", {"name": "官网改版"}).json()
    today = dt.date.today()
    for i, name in enumerate(("需求调研", "视觉设计", "接口开发")):
        body = {
            "project_id": project["id"],
            "name": name,
            "type_id": str(i + 1),
            "start": (today + dt.timedelta(days=7 * i)).isoformat(),
            "end": (today + dt.timedelta(days=7 * i + 5)).isoformat(),
            "assignee": "李娜",
        }
        assert server.request("POST", "/api/tasks", body).status == 201
    r = server.request("GET", f"/api/tasks/export.pdf?project_id={project['id']}")
    assert r.status == 200, r.body
    assert r.headers["content-type"] == "application/pdf"
    named = unquote(r.headers["content-disposition"])
    assert f"项目排期-官网改版-{today.isoformat()}.pdf" in named
    assert r.body.startswith(b"%PDF") and len(r.body) < 400_000
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(r.body)
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True)
    for words in ("项目排期 · 官网改版", "需求调研", "接口开发", "李娜"):
        assert words in text.stdout, words
    out = str(artifacts / "schedule-export-pdf")
    subprocess.run([pdftoppm, "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), out], check=True)
    english = server.request("GET", f"/api/tasks/export.pdf?project_id={project['id']}&lang=en")
    pdf.write_bytes(english.body)
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "Schedule · 官网改版" in text.stdout and "Page 1 of" in text.stdout
