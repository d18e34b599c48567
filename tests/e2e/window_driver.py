"""Run the real desktop app window and read it from inside, for test_desktop_window.py.

    python window_driver.py DATA_DIR SHOT.png [--resize WxH] [--save-as PATH]
                            [--schedule N]

It starts `localapp.app.run_desktop` (store, guarded server, pywebview
window) exactly as `localapp` does, with one addition: a helper thread
that waits until the page has rendered, reads the DOM with run_js (the
page's CSP forbids eval, which pywebview's evaluate_js wraps scripts in),
takes a screenshot of the X screen with ImageMagick, optionally resizes the
window, optionally downloads a file the way the app's export buttons do
(a link with `download`) and answers the native save dialog with xdotool,
optionally loads a project of N tasks and scrolls its schedule (screenshots
in zh-CN and English beside SHOT), prints `RESULT {json}` and closes the window with window.destroy(), the
same path as the close button. The exit code is run_desktop's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from localapp import app, logs
from localapp.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: xvfb_display
from polling import wait_for  # noqa: E402
from xvfb_display import capture_drawn  # noqa: E402

READ_PAGE = """(() => {
  const body = document.body;
  const user = document.getElementById('user-name');
  if (!body || body.classList.contains('loading') || !user || !user.textContent) return null;
  const text = (sel) => { const el = document.querySelector(sel); return el ? el.textContent.trim() : null; };
  return {
    title: document.title,
    lang: document.documentElement.lang,
    nav: text('#nav'),
    active: text('#nav a.active'),
    user: user.textContent.trim(),
    logoutHidden: document.getElementById('logout').hidden,
    loginHidden: document.getElementById('login-link').hidden,
    view: (document.getElementById('view').innerText || '').slice(0, 300),
    errors: Array.from(document.querySelectorAll('.toast-error')).map((t) => t.textContent),
    url: location.pathname + location.search,
  };
})()"""


PAINTED = "document.documentElement.dataset.painted === 'yes' || null"


DOWNLOAD = """(() => {
  const a = document.createElement('a');
  a.href = 'api/projects';
  a.download = 'projects.json';
  document.body.append(a);
  a.click();
  a.remove();
  return true;
})()"""

# --schedule: one project of N tasks, finish-to-start links to a task 30 rows
# up, and one link 1,400 rows long (as tests/e2e/test_schedule_scale.py),
# posted with the session's CSRF token as the page's own writes are. ASCII only:
# pywebview's GTK run_js passes the script's length in characters, WebKit
# reads that many bytes (工序 is written \u5de5\u5e8f).
SEED = """(() => {
  if (window.__seed) return window.__seed.state;
  const s = window.__seed = { state: 'busy' };
  const n = %d;
  const day = (k) => { const d = new Date(); d.setDate(d.getDate() + k); return d.toISOString().slice(0, 10); };
  const id = (i) => 't' + String(i).padStart(4, '0');
  const tasks = [];
  for (let i = 0; i < n; i += 1) {
    const t = { id: id(i), project_id: 'p1', name: '\\u5de5\\u5e8f' + String(i).padStart(4, '0'), type_id: String(1 + i %% 6),
      start: day(-60 + Math.floor(i / 10)), end: day(-58 + Math.floor(i / 10)) };
    if (i >= 30 && i %% 4) t.depends_on = [id(i - 30)];
    tasks.push(t);
  }
  if (n > 1500) tasks[1500].depends_on = [id(100)];
  fetch('api/session').then((r) => r.json()).then((session) => fetch('api/data', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf },
    body: JSON.stringify({ projects: [{ id: 'p1', name: '\\u5927\\u9879\\u76ee' }], tasks }),
  })).then((r) => { s.state = r.ok ? 'done' : 'failed ' + r.status; }).catch((e) => { s.state = 'failed ' + e; });
  return 'busy';
})()"""

OPEN_SCHEDULE = """(() => {
  localStorage.setItem('localapp.schedule.view', JSON.stringify({ selected: ['p1'] }));
  location.hash = '#/schedule';
  location.reload();
  return true;
})()"""

# What the schedule shows: bars drawn, grid lines made, the view's height, and
# for a task: its grid line inside the grid's visible body, level with its bar.
SCHEDULE_FACTS = """(() => {
  const box = document.querySelector('.sched-chart .gantt-container');
  const body = document.querySelector('.sgrid-body');
  if (!box || !body || !document.querySelector('.bar-wrapper[data-task-id]')) return null;
  const where = (task) => {
    const line = document.querySelector('.sgrid-row[data-task-id="' + task + '"]');
    const bar = document.querySelector('.bar-wrapper[data-task-id="' + task + '"] .bar');
    if (!line || !bar) return null;
    const b = body.getBoundingClientRect(), l = line.getBoundingClientRect(), r = bar.getBoundingClientRect();
    return { inView: l.top >= b.top - 1 && l.bottom <= b.bottom + 1,
      level: Math.abs((l.top + l.bottom) / 2 - (r.top + r.bottom) / 2) };
  };
  return {
    bars: document.querySelectorAll('.bar-wrapper[data-task-id]').length,
    lines: document.querySelectorAll('.sgrid-row').length,
    pager: document.querySelectorAll('.sched-rowpager').length,
    height: box.scrollHeight,
    arrows: document.querySelectorAll('.gantt g.arrow path').length,
    first: where('t0000'), t1500: where('t1500'), t0100: Boolean(document.querySelector('.bar-wrapper[data-task-id="t0100"]')),
    heading: (document.querySelectorAll('.sgrid-th')[1] || {}).textContent || '',
    errors: Array.from(document.querySelectorAll('.toast-error')).map((t) => t.textContent),
  };
})()"""

SCROLL_TO = "(() => { document.querySelector('.sched-chart .gantt-container').scrollTop = %d; return true; })()"
SWITCH_LANGUAGE = "(() => { document.getElementById('lang-switch').click(); return true; })()"
# A frame drawn after now (the X screen can lag a busy page by a second).
FRAME = """(() => {
  if (window.__frame === undefined) {
    window.__frame = false;
    requestAnimationFrame(() => setTimeout(() => { window.__frame = true; }, 0));
  }
  if (!window.__frame) return null;
  delete window.__frame;
  return true;
})()"""


def capture_settled(window: Any, shot: Path) -> None:
    """Capture the screen once the page has drawn a frame after now."""
    wait_for(lambda: window.run_js(FRAME), "a frame to be drawn", 30)
    time.sleep(0.5)
    capture_drawn(shot)


def schedule(window: Any, n: int, shot: Path) -> dict[str, Any]:
    """Load N tasks, open them on the schedule, scroll to row 1,495, switch to English."""
    state = wait_for(
        lambda: (v := window.run_js(SEED % n)) != "busy" and v, "the tasks to load", 60
    )
    if state != "done":
        raise RuntimeError(f"loading the tasks: {state}")
    window.run_js(OPEN_SCHEDULE)
    out: dict[str, Any] = {}
    out["top"] = wait_for(lambda: window.run_js(SCHEDULE_FACTS), "the schedule to draw", 60)
    wait_for(lambda: window.run_js(PAINTED), "the schedule to report a paint", 30)
    capture_settled(window, shot.with_name(shot.stem + "-schedule-top-zh.png"))
    window.run_js(SCROLL_TO % (1495 * 36))
    out["middle"] = wait_for(
        lambda: (f := window.run_js(SCHEDULE_FACTS)) and f["t1500"] and f["t1500"]["inView"] and f,
        "task 1500 in view",
        30,
    )
    capture_settled(window, shot.with_name(shot.stem + "-schedule-middle-zh.png"))
    window.run_js(SWITCH_LANGUAGE)
    out["english"] = wait_for(
        lambda: (
            (f := window.run_js(SCHEDULE_FACTS)) and "Task" in f["heading"] and f["t1500"] and f
        ),
        "the English schedule",
        30,
    )
    capture_settled(window, shot.with_name(shot.stem + "-schedule-middle-en.png"))
    return out


DIALOG_NAMES = "^(Save file|保存文件)$"


def _x(*args: str) -> str:
    return subprocess.run(
        ["xdotool", *args], capture_output=True, text=True, timeout=30
    ).stdout.strip()


def save_with_dialog(window: Any, target: Path, shot: Path) -> dict[str, Any]:
    """Start a download in the page, then type `target` into the native save dialog."""
    window.run_js(DOWNLOAD)
    dialog = wait_for(
        lambda: _x("search", "--name", DIALOG_NAMES).split(), "a native save dialog", 20
    )[0]
    capture_drawn(shot)
    # No window manager under Xvfb: give the dialog the keyboard ourselves.
    _x("windowfocus", dialog)
    _x("key", "ctrl+a")
    _x("type", "--delay", "10", str(target))
    _x("key", "Return")
    wait_for(
        lambda: target.is_file() and target.stat().st_size > 0, f"a file saved to {target}", 20
    )
    wait_for(lambda: not _x("search", "--name", DIALOG_NAMES), "the dialog to close", 10)
    return {"dialog": True, "saved": target.read_text(encoding="utf-8")}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("shot", type=Path)
    parser.add_argument("--resize", help="WxH to resize to before closing")
    parser.add_argument("--save-as", type=Path, help="download a file and save it here")
    parser.add_argument("--schedule", type=int, help="load a project of N tasks and scroll it")
    args = parser.parse_args()

    def drive(window: Any) -> None:
        result: dict[str, Any] = {}
        try:
            if not window.events.loaded.wait(30):
                raise TimeoutError("the page did not load within 30s")
            result["opened_size"] = [window.width, window.height]
            result["page"] = wait_for(lambda: window.run_js(READ_PAGE), "the page to render", 30)
            # the page says when its first view has been painted (ui/js/app.js);
            # the X screen shows it a moment later, so the capture waits for that too
            wait_for(lambda: window.run_js(PAINTED), "the page to report a paint", 30)
            capture_drawn(args.shot)
            if args.save_as:
                shot = args.shot.with_name(args.shot.stem + "-save-dialog.png")
                result["save"] = save_with_dialog(window, args.save_as, shot)
            if args.schedule:
                result["schedule"] = schedule(window, args.schedule, args.shot)
            if args.resize:
                w, h = (int(v) for v in args.resize.split("x"))
                window.resize(w, h)
                wait_for(
                    lambda: (window.width, window.height) == (w, h),
                    "the window to take the new size",
                    10,
                )
                time.sleep(0.3)  # the resized event reaches our tracker
                result["resized_to"] = [window.width, window.height]
        except Exception as exc:  # reported to the test, which fails on it
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)
            window.destroy()

    logs.setup("INFO")
    settings = Settings.from_env(data_dir=args.data_dir)
    return app.run_desktop(settings, sys.stdout, on_window=drive)


if __name__ == "__main__":
    sys.exit(main())
