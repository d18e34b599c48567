"""The schedule's Gantt PDF (localapp/schedule/pdf.py), checked as a reader would.

A real file is written to a temp dir and read back with poppler's tools:
pdftotext must find the Chinese (so the embedded font maps it back to text),
pdffonts finds the font embedded as a subset, and pdftoppm renders
page 1 into tests/artifacts/ for a person to look at. Outside CI a missing
poppler-utils skips; with CI=true it fails (conftest.require_tool).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, require_tool

from localapp import fonts
from localapp.schedule import pdf

TODAY = dt.date(2026, 12, 15)
TITLE = "项目排期 · 官网改版"
PROJECTS = {"p1": "官网改版", "p2": "移动端应用"}
TYPE_NAMES = {
    "ty1": "需求",
    "ty2": "设计",
    "ty3": "开发",
    "ty4": "测试",
    "ty5": "上线",
    "ty6": "其他",
}
TYPE_COLORS = {
    "ty1": "#8e6cef",
    "ty2": "#f59f00",
    "ty3": "#4f8ef7",
    "ty4": "#12b886",
    "ty5": "#e8590c",
    "ty6": "#868e96",
}
#: (project, name, type, first day, length in days, assignee, progress, parent)
PLAN: list[tuple[str, str, str, int, int, str, int, str]] = [
    ("p1", "需求调研", "ty1", 0, 8, "李经理", 100, ""),
    ("p1", "需求评审会", "ty1", 9, 1, "李经理", 100, ""),
    ("p1", "信息架构设计", "ty2", 10, 7, "赵设计", 100, ""),
    ("p1", "视觉设计稿", "ty2", 15, 12, "赵设计", 80, ""),
    ("p1", "前端开发", "ty3", 28, 40, "", 0, ""),
    ("p1", "首页与导航", "ty3", 28, 10, "王工", 60, "t5"),
    ("p1", "产品列表页", "ty3", 36, 12, "王工", 30, "t5"),
    ("p1", "详情页与购物车", "ty3", 45, 14, "陈工", 10, "t5"),
    ("p1", "多语言适配", "ty3", 55, 13, "陈工", 0, "t5"),
    ("p1", "接口开发", "ty3", 26, 20, "刘工", 45, ""),
    ("p1", "后台管理系统", "ty3", 40, 25, "刘工", 20, ""),
    ("p1", "联调测试", "ty4", 66, 10, "孙测试", 0, ""),
    ("p1", "性能压测", "ty4", 72, 6, "孙测试", 0, ""),
    ("p1", "安全评估", "ty4", 75, 7, "外包团队", 0, ""),
    ("p1", "用户验收", "ty4", 82, 8, "李经理", 0, ""),
    ("p1", "上线准备", "ty5", 90, 5, "运维组", 0, ""),
    ("p1", "正式上线", "ty5", 96, 1, "运维组", 0, ""),
    ("p2", "竞品分析", "ty1", 3, 6, "周产品", 100, ""),
    ("p2", "交互原型", "ty2", 10, 10, "吴设计", 90, ""),
    ("p2", "图标与插画", "ty2", 18, 9, "吴设计", 70, ""),
    ("p2", "客户端框架搭建", "ty3", 21, 9, "郑工", 100, ""),
    ("p2", "登录与注册", "ty3", 31, 8, "郑工", 50, ""),
    ("p2", "消息推送", "ty3", 40, 10, "冯工", 15, ""),
    ("p2", "离线缓存", "ty3", 48, 12, "冯工", 0, ""),
    ("p2", "支付集成", "ty3", 58, 14, "郑工", 0, ""),
    ("p2", "兼容性测试", "ty4", 74, 12, "孙测试", 0, ""),
    ("p2", "应用商店审核", "ty5", 88, 10, "周产品", 0, ""),
    ("p2", "发布会筹备", "ty6", 95, 15, "市场部", 0, ""),
    ("p2", "版本发布", "ty5", 112, 1, "周产品", 0, ""),
    ("p2", "复盘总结", "ty6", 114, 5, "周产品", 0, ""),
]
START = dt.date(2026, 11, 2)
#: finish-to-start links by task number: each predecessor ends before its successor starts
DEPENDS = {2: [1], 3: [2], 6: [4], 7: [3], 8: [6], 9: [7], 10: [2], 11: [2], 12: [8, 11]}
DEPENDS |= {13: [11], 14: [11], 15: [12, 14], 16: [15], 17: [16], 19: [18], 20: [18]}
DEPENDS |= {21: [19], 22: [21], 23: [22], 24: [22], 25: [23], 26: [24, 25], 27: [26]}
DEPENDS |= {29: [27, 28], 30: [29]}
CRITICAL = {1, 2, 4, 6, 8, 12, 15, 16, 17}


def sample_tasks() -> list[dict[str, Any]]:
    """30 tasks over about four months in two projects, one summary task (t5) with
    four subtasks, three milestones, finish-to-start links."""
    tasks: list[dict[str, Any]] = []
    for n, (project, name, type_id, offset, days, who, progress, parent) in enumerate(PLAN, 1):
        start = START + dt.timedelta(days=offset)
        tasks.append(
            {
                "id": f"t{n}",
                "project_id": project,
                "name": name,
                "type_id": type_id,
                "start": start.isoformat(),
                "end": (start + dt.timedelta(days=days - 1)).isoformat(),
                "assignee": who,
                "progress": progress,
                "milestone": days == 1,
                "depends_on": [f"t{d}" for d in DEPENDS.get(n, [])],
                "critical": n in CRITICAL,
                "parent": parent,
            }
        )
    return tasks


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = pdf.tasks_pdf(sample_tasks(), PROJECTS, TYPE_NAMES, TYPE_COLORS, TITLE, today=TODAY)
    path = tmp_path_factory.mktemp("pdf") / "schedule.pdf"
    path.write_bytes(data)
    return path


def pages_of(path: Path) -> int:
    info = subprocess.run(
        [require_tool("pdfinfo"), str(path)], check=True, capture_output=True, text=True
    ).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def test_is_a_small_pdf_of_several_pages(made: Path) -> None:
    data = made.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) < 600_000, f"{len(data)} bytes"
    # four months at a readable day scale do not fit one page: pages by time
    assert pages_of(made) > 1
    assert pdf.time_axis([START, START + dt.timedelta(days=118)], TODAY).scale == "day"


def test_the_cjk_font_is_embedded_as_a_subset(made: Path) -> None:
    data = made.read_bytes()
    assert re.search(rb"/FontFile[23]\b", data), "no embedded font program"
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+", data), "the font is not a subset"
    listing = subprocess.run(
        [require_tool("pdffonts"), str(made)], check=True, capture_output=True, text=True
    ).stdout
    embedded = [line for line in listing.splitlines()[2:] if line.strip()]
    assert embedded, listing
    for line in embedded:  # columns: ... emb sub uni
        assert re.search(r"\byes\s+yes\s+yes\b", line), listing


def test_chinese_text_is_extracted(made: Path) -> None:
    text = subprocess.run(
        [require_tool("pdftotext"), "-layout", str(made), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for expected in (TITLE, "官网改版", "移动端应用", "前端开发", "接口开发", "王工", "需求"):
        assert expected in text, expected
    for _p, name, *_rest in PLAN:
        assert name in text, name
    total = pages_of(made)
    assert "2026-11-02 – 2026-12-13" in text  # page 1: the first six weeks
    assert f"第 1 页，共 {total} 页" in text
    assert f"第 {total} 页，共 {total} 页" in text


def test_first_page_renders(made: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / "schedule-pdf.png"
    png.unlink(missing_ok=True)
    tool = require_tool("pdftoppm")
    subprocess.run(
        [tool, "-r", "60", "-png", "-singlefile", str(made), str(png.with_suffix(""))], check=True
    )
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert len(data) > 20_000, "page 1 rendered nearly empty"


def test_english_labels_and_a_long_schedule_take_the_week_scale(tmp_path: Path) -> None:
    tasks = sample_tasks()
    tasks[-1]["end"] = "2027-08-31"  # ten months: weeks, not days
    assert pdf.time_axis([START, dt.date(2027, 8, 31)], TODAY).scale == "week"
    data = pdf.tasks_pdf(
        tasks, PROJECTS, TYPE_NAMES, TYPE_COLORS, "Schedule", today=TODAY, lang="en"
    )
    path = tmp_path / "en.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        [require_tool("pdftotext"), str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert f"Page 1 of {pages_of(path)}" in text
    assert "接口开发" in text and "Assignee" in text


def test_rows_nest_under_their_summary_task_and_pages_split_evenly() -> None:
    rows = pdf.build_rows(sample_tasks(), PROJECTS)
    assert [r.text for r in rows if r.task is None] == ["官网改版", "移动端应用"]
    summary = next(r for r in rows if r.text == "前端开发")
    assert summary.summary and summary.depth == 0
    assert summary.end == dt.date(2026, 11, 2) + dt.timedelta(days=67)
    assert {r.text for r in rows if r.depth == 1} == {
        "首页与导航",
        "产品列表页",
        "详情页与购物车",
        "多语言适配",
    }
    pages = pdf.row_pages(rows, 26)
    assert len(pages) == 2 and abs(len(pages[0]) - len(pages[1])) <= 2
    assert pages[1][0].continued and pages[1][0].task is None


def test_a_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "none.ttf"))
    with pytest.raises(fonts.FontMissing) as raised:
        pdf.tasks_pdf(sample_tasks(), PROJECTS, TYPE_NAMES, TYPE_COLORS, TITLE, today=TODAY)
    assert fonts.PACKAGE in raised.value.message and "请安装" in raised.value.message


def test_the_font_is_found_or_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    found = fonts.cjk_font()
    assert found.is_file()
    monkeypatch.setenv(fonts.ENV_VAR, str(found))
    regular, bold = fonts.cjk_faces()
    assert regular.path == found and bold is None
    if found.name == "NotoSansCJK-Regular.ttc":
        assert regular.index == 2  # the Simplified Chinese face of the collection
