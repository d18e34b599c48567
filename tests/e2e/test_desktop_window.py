"""The real desktop window (pywebview + GTK/WebKitGTK) under Xvfb.

- The window shows the app served by its own guarded server: the Chinese
  shell rendered, signed in as the desktop user with no login page and no
  sign-out button. A screenshot is kept in tests/artifacts/.
- Closing the window stops everything cleanly: exit 0, the store closed,
  the instance lock and file gone; the size it was left at comes back next
  time.
- An export (a link with `download`, as the app's export buttons are)
  opens the system's save dialog, and the file lands where the user typed.
- The schedule of a 2,000-task project scrolls in one view in the window's
  engine (WebKitGTK, not Chromium): grid and bars level, a link 1,400 rows
  long whole, in zh-CN and English (screenshots in tests/artifacts/).
- The schedule's flows work in the window as a user meets them: an MS Project
  file chosen in the system's file dialog, summary tasks built in the grid, a
  baseline and a task's slip, an overloaded assignee, the PDF (its Chinese
  rendered with pdftoppm) and the MS Project file saved through the system's
  save dialog, holding the imported tasks, dates and links; zh-CN and English.
- `localapp` itself (no sub-command) opens the window; a second `localapp`
  for the same data dir brings it forward and exits 3 without serving;
  SIGTERM closes the window like its close button.

Each window runs in its own subprocess with a hard timeout (pywebview can
start only once per process), on a private Xvfb (tests/xvfb_display.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, localapp_cmd, require_tool
from xvfb_display import capture_drawn, looks_drawn, require_gui, window_env, xvfb

from localapp import instance
from localapp.schedule import mspdi

sys.path.insert(0, str(ROOT / "tests" / "http"))
from test_schedule_mspdi import shape  # noqa: E402

MSPDI = ROOT / "tests" / "data" / "mspdi"

DRIVER = Path(__file__).with_name("window_driver.py")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    require_tool("import")
    with xvfb() as value:
        require_gui(value)
        yield value


def _drive(
    display: str, data_dir: Path, shot: Path, *extra: str, timeout: float = 120
) -> tuple[dict[str, object], subprocess.CompletedProcess[str]]:
    done = subprocess.run(
        [sys.executable, str(DRIVER), str(data_dir), str(shot), *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=window_env(display),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"the window never reported (exit {done.returncode}):\n{done.stderr[-3000:]}"
    result = json.loads(lines[-1][len("RESULT ") :])
    assert "error" not in result, f"{result['error']}\n{done.stderr[-3000:]}"
    return result, done


def test_window_shows_the_app_and_closes_cleanly(
    display: str, tmp_path: Path, artifacts: Path
) -> None:
    data_dir = tmp_path / "data"
    shot = artifacts / "desktop-window-zh.png"
    shot.unlink(missing_ok=True)
    result, done = _drive(display, data_dir, shot, "--resize", "1100x720")

    page = result["page"]
    assert isinstance(page, dict)
    assert "localapp" in str(page["title"])
    assert page["lang"] == "zh-CN"
    for section in ("项目排期", "价格目录", "统计"):
        assert section in str(page["nav"])
    assert page["active"] == "项目排期"
    assert str(page["user"]).startswith("当前用户"), page["user"]
    # The window is the sign-in: no sign-out, no sign-in link, no login page.
    assert page["logoutHidden"] is True and page["loginHidden"] is True
    assert page["url"] == "/", "the one-time token must not stay in the address"
    assert page["errors"] == [], page["errors"]
    assert result["opened_size"] == [1280, 800]
    looks_drawn(shot)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "Closed the data store in " + str(data_dir) in done.stderr
    assert "The window was closed" in done.stderr
    assert not (data_dir / instance.INFO_NAME).exists()
    instance.claim(data_dir, wait=0).release()  # the lock was released

    # The size it was left at comes back.
    saved = json.loads((data_dir / "window.json").read_text())
    assert (saved["width"], saved["height"]) == (1100, 720)
    again, done2 = _drive(display, data_dir, tmp_path / "second.png")
    assert again["opened_size"] == [1100, 720]
    assert done2.returncode == 0


def test_export_asks_where_to_save_with_the_native_dialog(
    display: str, tmp_path: Path, artifacts: Path
) -> None:
    require_tool("xdotool")
    target = tmp_path / "chosen" / "projects.json"
    target.parent.mkdir()
    shot = artifacts / "desktop-export.png"
    result, done = _drive(display, tmp_path / "data", shot, "--save-as", str(target))
    assert done.returncode == 0, done.stderr[-3000:]
    # The file went where the user typed in the system's save dialog, with
    # the content the app served (the window's cookie was sent along).
    save = result["save"]
    assert isinstance(save, dict) and save["dialog"] is True
    assert isinstance(json.loads(str(save["saved"])), dict | list)
    assert "GET /api/projects 200" in done.stderr
    looks_drawn(artifacts / "desktop-export-save-dialog.png")
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


def test_the_schedule_scrolls_two_thousand_tasks_in_the_window(
    display: str, tmp_path: Path, artifacts: Path
) -> None:
    shot = artifacts / "desktop-2000.png"
    result, done = _drive(display, tmp_path / "data", shot, "--schedule", "2000")
    assert done.returncode == 0, done.stderr[-3000:]
    facts = result["schedule"]
    assert isinstance(facts, dict)
    top, middle, english = facts["top"], facts["middle"], facts["english"]
    # one view: no pager, a scroll height for all rows, few of them drawn
    assert top["pager"] == 0 and top["height"] >= 2002 * 36, top
    assert 20 <= top["bars"] <= 300 and top["lines"] <= 300, top
    assert top["first"] and top["first"]["inView"], top
    # row 1,500: its line in view and level with its bar; its predecessor
    # 1,400 rows up drawn with it; the first rows gone
    assert middle["t1500"]["inView"] and middle["t1500"]["level"] < 18, middle
    assert middle["t0100"] is True and middle["first"] is None, middle
    assert middle["arrows"] > 10 and middle["bars"] <= 300, middle
    # English keeps the rows in view
    assert english["t1500"]["inView"], english
    for f in (top, middle, english):
        assert f["errors"] == [], f["errors"]
    for name in ("top-zh", "middle-zh", "middle-en"):
        looks_drawn(artifacts / f"desktop-2000-schedule-{name}.png")
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


def test_the_schedule_flows_in_the_window(display: str, tmp_path: Path, artifacts: Path) -> None:
    require_tool("xdotool")
    require_tool("pdftoppm")
    require_tool("pdftotext")
    folder = tmp_path / "files"
    folder.mkdir()
    source = (MSPDI / "mpxj-sample1.xml").read_bytes()
    (folder / "plan.xml").write_bytes(source)
    shot = artifacts / "desktop-flows.png"
    result, done = _drive(display, tmp_path / "data", shot, "--flows", str(folder), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    flows = result["flows"]
    assert isinstance(flows, dict)
    expected = mspdi.read(source).tasks
    assert flows["imported"] >= len(expected), flows
    # summary tasks built in the grid: 接口设计 under the line above it
    assert flows["summary"] and flows["summary_bar"] >= 1, flows
    # the slip against the baseline, in working days, in both languages
    assert "晚" in flows["variance_zh"] and "working day" in flows["variance_en"], flows
    assert "李娜" in flows["over_zh"] and "李娜" in flows["over_en"], flows
    assert flows["errors"] == [], flows["errors"]
    # the MS Project file saved from the window holds the imported tasks, their
    # dates, outline, people and links, and the grid's new ones
    exported = mspdi.read((folder / "export.xml").read_bytes()).tasks
    assert not shape(expected) - shape(exported), shape(expected) - shape(exported)
    names = {t["name"] for t in exported}
    assert {"需求评审", "接口设计"} <= names, names
    # the PDF's Chinese is text in an embedded font, and it renders
    pdf = folder / "plan.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "接口设计" in text, text[:500]
    page = artifacts / "desktop-flows-pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(page)],
        check=True,
        timeout=60,
    )
    from PIL import Image

    with Image.open(next(artifacts.glob("desktop-flows-pdf*.png"))) as picture:
        colours = picture.convert("L").getcolors(1 << 16) or []
        dark = sum(n for n, level in colours if level < 100)
        assert dark > 500, "the PDF's first page renders nearly blank"
    for name in ("import-zh", "grid-zh", "baseline-zh", "load-zh", "baseline-en", "load-en"):
        looks_drawn(artifacts / f"desktop-flows-{name}.png")
    assert "Traceback" not in done.stderr, done.stderr[-3000:]


def test_localapp_opens_the_window_and_a_second_launch_raises_it(
    display: str, tmp_path: Path, artifacts: Path
) -> None:
    xdotool = require_tool("xdotool")
    data_dir = tmp_path / "data"
    log_path = tmp_path / "first.log"
    with open(log_path, "wb") as log:
        first = subprocess.Popen(
            localapp_cmd("--data-dir", str(data_dir)),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=window_env(display),
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 60
        # The page's own script asking for the session means the window rendered it.
        while "GET /api/session 200" not in log_path.read_text(errors="replace"):
            assert first.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.1)
        windows = subprocess.run(
            [xdotool, "search", "--name", "^localapp$"],
            capture_output=True,
            text=True,
            timeout=30,
            env=window_env(display),
        ).stdout.split()
        assert windows, "no X window titled localapp"
        capture_drawn(artifacts / "desktop-command-zh.png", window_env(display))

        second = subprocess.run(
            localapp_cmd("--data-dir", str(data_dir)),
            capture_output=True,
            text=True,
            timeout=60,
            env=window_env(display),
            stdin=subprocess.DEVNULL,
        )
        assert second.returncode == 3, second.stderr
        assert "already running" in second.stderr
        assert "brought its window to the front" in second.stderr
        assert "POST /desktop/raise 200" in log_path.read_text(errors="replace")
        assert first.poll() is None, "the first window must stay open"

        first.send_signal(signal.SIGTERM)  # a logout or `kill`: closes like the button
        assert first.wait(timeout=30) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
    text = log_path.read_text(errors="replace")
    assert "Closing the window (signal 15)" in text
    assert "Closed the data store" in text
    assert not (data_dir / instance.INFO_NAME).exists()
