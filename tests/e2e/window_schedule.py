"""Schedule runs in the real desktop window, for window_driver.py (issue 17).

The window's engine is WebKitGTK, not the Chromium of the browser tests, so
what a user does on the schedule is done here again in the window:

- scroll(): a project of N tasks in one scroll view, to row 1,495 and back
  in English;
- flows(): import an MS Project file through the system's file dialog, build
  summary tasks in the grid, save a baseline and move a task to see the
  slip, see an overloaded assignee, export the PDF and the MS Project file
  through the system's save dialog, and the same screens in English.

Scripts are passed to run_js in ASCII only: pywebview's GTK run_js passes
the script's length in characters and WebKit reads that many bytes, so
Chinese text is written as JSON escapes (js()). Actions are the DOM events
a user's clicks and keys make, sent to our own handlers; the file dialogs
are the system's, answered with xdotool. Each screen is captured once the
page has drawn a frame after it (capture_settled).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from polling import wait_for
from xvfb_display import capture_drawn

# the page says when its first view has been painted (ui/js/app.js)
PAINTED = "document.documentElement.dataset.painted === 'yes' || null"
SAVE_NAMES = "^(Save file|保存文件)$"
OPEN_NAMES = "^(Upload Files?|Open File|Select Files?|上传文件|打开文件|选择文件)$"


def js(value: Any) -> str:
    """A JavaScript literal of `value`, ASCII only."""
    return json.dumps(value, ensure_ascii=True)


def xdo(*args: str) -> str:
    return subprocess.run(
        ["xdotool", *args], capture_output=True, text=True, timeout=30
    ).stdout.strip()


def answer_dialog(names: str, path: Path, shot: Path | None = None) -> None:
    """Type `path` into the system's file dialog named by `names`, and press Enter."""
    found = wait_for(lambda: xdo("search", "--name", names).split(), f"a dialog {names}", 20)
    if shot:
        capture_drawn(shot)
    # No window manager under Xvfb: give the dialog the keyboard ourselves.
    xdo("windowfocus", found[0])
    time.sleep(0.3)
    if names == OPEN_NAMES:
        # GTK's file chooser: a "/" typed anywhere opens its location bar
        xdo("type", "--delay", "20", "/")
        time.sleep(0.5)
        xdo("type", "--delay", "10", str(path)[1:])
    else:
        xdo("key", "ctrl+a")  # the save dialog's name field has the keyboard
        xdo("type", "--delay", "10", str(path))
    time.sleep(0.5)
    if shot:
        capture_drawn(shot.with_name(shot.stem + "-typed.png"))
    xdo("key", "Return")
    wait_for(lambda: not xdo("search", "--name", names), "the dialog to close", 10)


def ask(window: Any, expression: str, what: str, timeout: float = 30) -> Any:
    """Wait until `expression` (JavaScript, ASCII) is truthy in the page; its value
    (true for an element, which run_js cannot return)."""
    script = (
        f"(() => {{ try {{ const v = ({expression}); return v instanceof Node ? true : v || null; }}"
        " catch (e) { return null; } })()"
    )
    return wait_for(lambda: window.run_js(script), what, timeout)


def click(window: Any, selector: str) -> None:
    done = window.run_js(
        f"(() => {{ const el = document.querySelector({js(selector)}); if (!el) return false;"
        " el.click(); return true; })()"
    )
    if not done:
        raise RuntimeError(f"nothing to click at {selector}")


# Setup, not a flow: API writes in the page, with the session's CSRF token as
# the page's own writes are. `body` is a JS async function of the token; it
# runs once, and each call of the script answers "busy", "done" or "failed ...".
# ASCII only: pywebview's GTK run_js passes the script's length in characters,
# WebKit reads that many bytes (工序 is written \u5de5\u5e8f; see js()).
PAGE_JOB = """(() => {
  const jobs = window.__jobs = window.__jobs || {};
  if (jobs[NAME]) return jobs[NAME].state;
  const s = jobs[NAME] = { state: 'busy' };
  fetch('api/session').then((r) => r.json()).then((session) => (BODY)(session.csrf))
    .then(() => { s.state = 'done'; }).catch((e) => { s.state = 'failed ' + e; });
  return 'busy';
})()"""


def page_job(window: Any, name: str, body: str, timeout: float) -> None:
    """Run `body` (see PAGE_JOB) once in the page and wait until it is done."""
    script = PAGE_JOB.replace("NAME", js(name)).replace("BODY", body)
    answer = wait_for(lambda: (v := window.run_js(script)) != "busy" and v, name, timeout)
    if answer != "done":
        raise RuntimeError(f"{name}: {answer}")


# --schedule: one project of N tasks, finish-to-start links to a task 30 rows
# up, and one link 1,400 rows long (as tests/e2e/test_schedule_scale.py).
SEED = """async (csrf) => {
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
  const r = await fetch('api/data', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify({ projects: [{ id: 'p1', name: '\\u5927\\u9879\\u76ee' }], tasks }),
  });
  if (!r.ok) throw new Error('status ' + r.status);
}"""

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


def scroll(window: Any, n: int, shot: Path) -> dict[str, Any]:
    """Load N tasks, open them on the schedule, scroll to row 1,495, switch to English."""
    page_job(window, "loading the tasks", SEED % n, 60)
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


# ---- flows ------------------------------------------------------------------

TYPE_IN_GRID = """(() => {
  const input = document.querySelector('.sgrid-new');
  if (!input) return false;
  input.focus();
  input.value = %s;
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  return true;
})()"""

ROW_NAMED = "[...document.querySelectorAll('.sgrid-row[data-task-id]')].find((r) => r.querySelector('.sgrid-name')?.textContent === %s)"

INDENT = """(() => {
  const row = %s;
  if (!row) return null;
  row.querySelector('.sgrid-cell[data-col="1"]').click();
  document.querySelector('.sgrid-body').dispatchEvent(
    new KeyboardEvent('keydown', { key: 'ArrowRight', altKey: true, shiftKey: true, bubbles: true }));
  return row.dataset.taskId;
})()"""

EDIT_START = """(() => {
  const cell = document.querySelector('.sgrid-row[data-task-id="%s"] [data-col="4"]');
  if (!cell) return false;
  cell.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
  const input = cell.querySelector('input');
  if (!input) return false;
  input.value = %s;
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  return true;
})()"""

# Setup, not the flow: tasks for one assignee in one week (a PAGE_JOB body).
OVERLOAD = """async (csrf) => {
  const project = document.querySelector('.bar-wrapper[data-project-id]').dataset.projectId;
  for (let i = 0; i < 4; i += 1) {
    const r = await fetch('api/tasks', { method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ project_id: project, name: %s + (i + 1), assignee: %s, start: %s, end: %s }) });
    if (!r.ok) throw new Error('status ' + r.status);
  }
}"""

CLOSE_DIALOG = """(() => {
  const dialog = document.querySelector('dialog[open]');
  if (!dialog) return true;
  const button = [...dialog.querySelectorAll('button')].reverse().find((b) => b.textContent === %s);
  if (!button) return false;
  button.click();
  return true;
})()"""


def flows(window: Any, folder: Path, shot: Path) -> dict[str, Any]:
    """Import, grid, baseline, load, exports, English; facts for the test."""
    out: dict[str, Any] = {}

    def screen(name: str) -> None:
        capture_settled(window, shot.with_name(f"{shot.stem}-{name}.png"))

    ask(window, "document.querySelector('#sched-import-mspdi')", "the schedule page")
    # 1. an MS Project file, chosen in the system's file dialog
    click(window, "#sched-import-mspdi")
    answer_dialog(OPEN_NAMES, folder / "plan.xml", shot.with_name(f"{shot.stem}-open-dialog.png"))
    out["imported"] = ask(
        window,
        "document.querySelector('.sched-status[data-state=saved]')"
        " && document.querySelectorAll('.bar-wrapper[data-task-id]').length",
        "the imported project's bars",
        60,
    )
    out["import_status"] = window.run_js("document.querySelector('.sched-status').textContent")
    screen("import-zh")

    # 2. two tasks typed in the grid; the second indented under the one above it
    for name in ("需求评审", "接口设计"):
        window.run_js(TYPE_IN_GRID % js(name))
        ask(window, ROW_NAMED % js(name), f"the grid line of {name}")
    out["subtask"] = window.run_js(INDENT % (ROW_NAMED % js("接口设计")))
    # its summary: the nearest line above it at a lower indent, now a summary
    summary_of = f"""(() => {{
      const row = {ROW_NAMED % js("接口设计")};
      const pad = (r) => {{ const c = r.querySelector('[data-col="1"]'); return c ? parseFloat(c.style.paddingLeft) : 0; }};
      if (!row || pad(row) <= 6) return null;
      let up = row;
      do {{ up = document.querySelector('.sgrid-row[data-row="' + (Number(up.dataset.row) - 1) + '"]'); }}
      while (up && pad(up) >= pad(row));
      return up && up.classList.contains('sgrid-summary') && up.querySelector('.sgrid-name').textContent;
    }})()"""
    out["summary"] = ask(window, summary_of, "接口设计 under a summary task in the grid")
    out["summary_bar"] = ask(
        window, "document.querySelectorAll('.bar-wrapper.lg-summary').length", "a summary bar"
    )
    screen("grid-zh")

    # 3. a baseline, then the subtask moved a week later in the grid: the slip
    click(window, "#sched-baseline-save")
    ask(window, "document.querySelector('dialog[open] input[name=baseline-name]')", "the dialog")
    click(window, "dialog[open] .btn-primary")
    ask(window, "document.querySelectorAll('.lg-planned').length", "the planned bars")
    task = out["subtask"]
    start = window.run_js(
        f"document.querySelector('.bar-wrapper[data-task-id={js(task)}]').dataset.start"
    )
    later = (dt.date.fromisoformat(start) + dt.timedelta(days=7)).isoformat()
    if not window.run_js(EDIT_START % (task, js(later))):
        raise RuntimeError("the start cell could not be edited")
    variance = f"document.querySelector('.bar-wrapper[data-task-id={js(task)}]')?.dataset.variance"
    click(window, "#sched-today")  # the moved task is this week's; the import's are 2003's
    out["variance_zh"] = ask(
        window, f"({variance} || '').includes({js('晚')}) && {variance}", "the slip"
    )
    screen("baseline-zh")

    # 4. an overloaded assignee in the workload dialog
    # in the plan's first week, which the workload shows first
    first = dt.date.fromisoformat(
        window.run_js(
            "[...document.querySelectorAll('.bar-wrapper[data-task-id]')]"
            ".map((b) => b.dataset.start).sort()[0]"
        )
    )
    monday = first - dt.timedelta(days=first.weekday())
    setup = OVERLOAD % (
        js("联调"),
        js("李娜"),
        js(monday.isoformat()),
        js((monday + dt.timedelta(days=4)).isoformat()),
    )
    page_job(window, "adding the overload's tasks", setup, 30)
    click(window, "#sched-load")
    over = "document.querySelector('.sched-load-over')?.textContent || ''"
    out["over_zh"] = ask(window, f"({over}).includes({js('李娜')}) && ({over})", "李娜 overloaded")
    screen("load-zh")
    window.run_js(CLOSE_DIALOG % js("关闭"))

    # 5. the PDF and the MS Project file, saved where the user types
    for button, name in (("#sched-export-pdf", "plan.pdf"), ("#sched-export-mspdi", "export.xml")):
        click(window, button)
        answer_dialog(SAVE_NAMES, folder / name)
        wait_for(
            lambda n=name: (folder / n).is_file() and (folder / n).stat().st_size > 0, name, 30
        )

    # 6. the same in English
    window.run_js(SWITCH_LANGUAGE)
    out["variance_en"] = ask(
        window, f"({variance} || '').includes('baseline') && {variance}", "the English slip"
    )
    screen("baseline-en")
    click(window, "#sched-load")
    out["over_en"] = ask(
        window, f"({over}).includes('Overloaded') && ({over})", "the English overload"
    )
    screen("load-en")
    window.run_js(CLOSE_DIALOG % js("Close"))
    out["errors"] = window.run_js(
        "Array.from(document.querySelectorAll('.toast-error')).map((t) => t.textContent)"
    )
    return out
