"""The schedule page as a user meets it: first paint, scroll and drag frames in Chromium.

A real `localapp serve` (default settings, 127.0.0.1) gets ONE project of N tasks by
`POST /api/data` (a few summary tasks, ~0.75 finish-to-start links per task to one of the
nearest earlier tasks, ~6 months of working days). Headless chromium (Playwright), signed
in, opens `#/schedule`; in the page (performance.now()), medians of --repeat runs:
first paint (navigation start until bars `.bar-wrapper[data-task-id]` and grid rows
`.sgrid-row` are in the DOM, then until that frame is drawn); scroll (the chart box moved
6 px down, 8 px right a frame for 2 s); drag (mouse down on a bar, 120 moves of 2 px out
and back, mouse up; frames that handled a move); rows drawn, DOM nodes, JS heap after GC.
A frame's time is its rAF-to-rAF interval (60 Hz here: 16.7 ms unless late); its *work*
runs from its rAF timestamp until a message posted in that callback runs, after style,
layout, paint and compositing; ">16.7 ms %" counts frames whose work passed 16.7 ms.
Baseline, same run: a static page (http.server, 127.0.0.1) drawing N plain 36 px <div>
rows with one absolutely placed bar each, all at once, scrolled the same way. Ours draws
all N rows in one scroll view and draws only the rows near the view (chart.js showRows,
grid.js fill); "rows drawn" counts the bars drawn at first paint.

    .venv/bin/python benchmarks/bench_gantt_browser.py [--sizes 200,2000] [--repeat 3] [--profile]

--profile adds main-thread self time per trace event (first paint, scroll, drag) and a CPU
profile of the first paint in buckets of our code. Goals (product issue): first paint
<= 1 s at 2,000 tasks, <= 2 s at 10,000; a scroll and a drag under 16.7 ms a frame.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Serve, print_table  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PID = "bench-project"
VIEW_KEY = "localapp.schedule.view"
FRAME_MS = 1000 / 60
DAY_PX = 34  # the day zoom's column (chart.js), for the baseline's bars
SCROLL_MS, SCROLL_DY, SCROLL_DX, MAX_FRAMES = 2000, 6, 8, 400
DRAG_MOVES, DRAG_STEP_PX, DRAG_BUDGET_S = 120, 2, 20.0
LOAD_TIMEOUT_MS = 90_000
OURS = ".sched-chart .gantt-container"
OURS_READY = (
    "document.querySelector('.bar-wrapper[data-task-id]') && document.querySelector('.sgrid-row')"
)
BASE_BOX, BASE_READY = "#box", "document.querySelector('#box .b')"
GOAL_FIRST_PAINT = {2000: 1000.0, 10000: 2000.0}
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute"]


# Before every document: the view state (the project chosen), and the times the
# bars and rows appear (dom) and the frame that shows them is drawn (paint).
INIT_JS = """(() => {
  const view = %s;
  if (view) { try { localStorage.setItem('%s', JSON.stringify(view)); } catch (e) {} }
  const b = window.__bench = { dom: null, paint: null };
  const mo = new MutationObserver(() => {
    if (b.dom !== null || !(%s)) return;
    b.dom = performance.now();
    mo.disconnect();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { b.paint = performance.now(); };
    requestAnimationFrame(() => ch.port2.postMessage(0));
  });
  mo.observe(document, { childList: true, subtree: true });
})();"""

STATS_JS = """() => {
  const b = window.__bench;
  const all = performance.getEntriesByType('resource');
  const tasks = all.filter((e) => e.name.includes('/api/tasks'));
  const view = document.querySelector('.sched-chart .gantt-container');
  const count = (sel) => document.querySelectorAll(sel).length;
  return {
    dom: b.dom, paint: b.paint, requests: tasks.length, height: view ? view.scrollHeight : 0,
    tasks_from: Math.min(...tasks.map((e) => e.startTime)),
    fetched: Math.max(...tasks.map((e) => e.responseEnd)),
    server: tasks.reduce((a, e) => a + e.responseStart - e.requestStart, 0),
    api_done: Math.max(0, ...all.filter((e) => e.responseEnd <= b.dom).map((e) => e.responseEnd)),
    rows: count('.bar-wrapper[data-task-id]'), arrows: count('.gantt g.arrow > path'), nodes: count('*'),
  };
}"""

# A rAF loop recording each frame: its start (the rAF timestamp), its work (until
# a message posted in the callback runs, after the frame's rendering) and the
# mouse moves it handled; with `sel`, it scrolls that box each frame, bouncing.
RECORD_JS = """({ sel, ms, maxFrames, dy, dx }) => {
  const box = sel && document.querySelector(sel);
  const r = window.__rec = { frames: [], moves: 0, stop: false, done: false };
  if (!window.__recMoves) {
    window.__recMoves = true;
    window.addEventListener('mousemove', () => { window.__rec.moves += 1; }, { capture: true });
  }
  let seen = 0, vy = dy, vx = dx;
  const t0 = performance.now();
  const step = (ts) => {
    const f = { ts, work: null, moved: r.moves - seen };
    seen = r.moves;
    r.frames.push(f);
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { f.work = performance.now() - ts; };
    ch.port2.postMessage(0);
    if (r.stop || r.frames.length >= maxFrames || performance.now() - t0 > ms) {
      return setTimeout(() => { r.done = true; }, 100);
    }
    if (box) {
      vy = box.scrollTop + box.clientHeight >= box.scrollHeight - 1 ? -dy : box.scrollTop <= 0 ? dy : vy;
      vx = box.scrollLeft + box.clientWidth >= box.scrollWidth - 1 ? -dx : box.scrollLeft <= 0 ? dx : vx;
      box.scrollTop += vy;
      box.scrollLeft += vx;
    }
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}"""

# Scroll the first wide task bar into view; where to grab it once drawn.
GRAB_JS = """async (sel) => {
  const box = document.querySelector(sel);
  const wrapper = [...document.querySelectorAll('.bar-wrapper.lg-task[data-task-id]')]
    .find((w) => Number(w.querySelector('.bar').getAttribute('width')) >= 60);
  if (!wrapper) return null;
  const bar = wrapper.querySelector('.bar');
  box.scrollLeft = Math.max(0, Number(bar.getAttribute('x')) - 200);
  box.scrollTop = Math.max(0, Number(bar.getAttribute('y')) - 200);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const r = bar.getBoundingClientRect(), x = r.left + Math.min(12, r.width / 2), y = r.top + r.height / 2;
  return wrapper.contains(document.elementFromPoint(x, y)) ? { x, y, id: wrapper.dataset.taskId } : null;
}"""

BAR_X_JS = "(id) => Number(document.querySelector(`.bar-wrapper[data-task-id='${id}'] .bar`).getAttribute('x'))"


def workdays(first: dt.date, count: int) -> list[str]:
    days = (first + dt.timedelta(days=k) for k in range(2 * count))
    return [d.isoformat() for d in days if d.weekday() < 5][:count]


def nearest_ended(ends: list[int], i: int, start: int, rnd: random.Random) -> str | None:
    """One of the (up to) 4 nearest earlier tasks that end before `start`."""
    found = [j for j in range(i - 1, max(-1, i - 800), -1) if ends[j] < start][:4]
    return f"t{rnd.choice(found):05d}" if found else None


def build_document(n: int, seed: int = 5) -> dict[str, Any]:
    """One project: summary tasks first (phases), then plain tasks (one in ten at
    the top level), links to earlier tasks, working days from 6 weeks ago."""
    rnd = random.Random(seed)
    today = dt.date.today()
    days = workdays(today - dt.timedelta(days=today.weekday() + 42), 131)
    n_sum = 3 + n // 1000
    m = n - n_sum
    tasks: list[dict[str, Any]] = []
    ends: list[int] = []
    for i in range(m):
        s = min(125, i * 120 // m + rnd.randrange(3))
        milestone = i % 97 == 50
        e = s if milestone else min(130, s + rnd.randrange(5))
        dep = nearest_ended(ends, i, s, rnd) if i and rnd.random() < 0.75 * n / m else None
        ends.append(e)
        done = 100 if days[e] < today.isoformat() else 0 if days[s] > today.isoformat() else 50
        parent = None if i % 10 == 9 else f"s{i * n_sum // m:02d}"
        task: dict[str, Any] = {
            "id": f"t{i:05d}",
            "project_id": PID,
            "name": f"任务 {i + 1}",
            "parent": parent,
        }
        task |= {"start": days[s], "end": days[e], "depends_on": [dep] if dep else []}
        task |= {"type_id": str(1 + i % 6), "progress": done, "milestone": milestone}
        tasks.append(task | {"assignee": f"成员{rnd.randrange(30)}"})
    summaries: list[dict[str, Any]] = []
    for k in range(n_sum):
        kids = [t for t in tasks if t["parent"] == f"s{k:02d}"]
        summaries.append({"id": f"s{k:02d}", "project_id": PID, "name": f"阶段 {k + 1}"})
        summaries[-1] |= {
            "start": min(t["start"] for t in kids),
            "end": max(t["end"] for t in kids),
        }
    project = {"id": PID, "name": f"浏览器基准 {n}", "owner": "王伟", "status": "active"}
    return {"projects": [project], "tasks": summaries + tasks}


def baseline_html(doc: dict[str, Any]) -> str:
    """N plain 36 px rows, each with one bar at the task's dates, drawn at once."""
    first = dt.date.fromisoformat(min(t["start"] for t in doc["tasks"]))
    bars = []
    for t in doc["tasks"]:
        start, end = dt.date.fromisoformat(t["start"]), dt.date.fromisoformat(t["end"])
        bars.append([((start - first).days + 14) * DAY_PX, ((end - start).days + 1) * DAY_PX])
    width = max(x + w for x, w in bars) + 14 * DAY_PX
    return f"""<!doctype html><meta charset="utf-8"><title>baseline</title><style>
body {{ margin: 0; font: 13px sans-serif; }}
#box {{ position: absolute; left: 420px; top: 130px; right: 20px; bottom: 20px; overflow: auto; }}
.r {{ position: relative; height: 36px; width: {width}px; border-bottom: 1px solid #e3e7ef;
      box-sizing: border-box; }}
.b {{ position: absolute; top: 7px; height: 22px; border-radius: 4px; background: #1890ff; }}
</style><div id="box"></div><script>
document.getElementById('box').innerHTML = {json.dumps(bars)}
  .map(([x, w]) => `<div class="r"><div class="b" style="left:${{x}}px;width:${{w}}px"></div></div>`)
  .join('');
</script>"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """python's http.server on 127.0.0.1 for the baseline pages."""
    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def loaded_server(doc: dict[str, Any], root: Path) -> Iterator[Serve]:
    """`localapp serve` on a new data dir, given `doc` through POST /api/data."""
    server = Serve(root / "data")
    try:
        server.until("/health")
        t0 = time.perf_counter()
        status, body = server.request("POST", "/api/data", json.dumps(doc).encode())
        if status != 200:
            raise RuntimeError(f"POST /api/data answered {status}: {body[:500]!r}")
        status, body = server.request("GET", f"/api/tasks?project_id={PID}&per_page=1")
        total = json.loads(body)["total"]
        if total != len(doc["tasks"]):
            raise RuntimeError(f"the project has {total} tasks, not {len(doc['tasks'])}")
        print(f"  POST /api/data: {time.perf_counter() - t0:.1f} s", flush=True)
        yield server
    finally:
        server.stop()


def new_context(browser: Any, view: dict[str, Any] | None, ready: str) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(LOAD_TIMEOUT_MS)
    context.add_init_script(INIT_JS % (json.dumps(view), VIEW_KEY, ready))
    return context


def sign_in(context: Any, server: Serve) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/#/schedule")
    page.wait_for_url("**/login.html**")
    page.fill("#username", "admin")
    page.fill("#password", server.env["LOCALAPP_ADMIN_PASSWORD"])
    page.click("#login-submit")
    page.wait_for_url("**/#/schedule")
    page.close()


def load(page: Any, url: str, heap: bool = True) -> dict[str, Any]:
    """Open `url` (a full navigation); the in-page times and counts once drawn."""
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__bench && window.__bench.paint !== null", polling=50)
    stats: dict[str, Any] = page.evaluate(STATS_JS)
    if heap:
        cdp = page.context.new_cdp_session(page)
        cdp.send("HeapProfiler.collectGarbage")
        stats["heap_mb"] = cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20
        cdp.detach()
    return stats


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))] if s else float("nan")


def summarize(intervals: list[float], work: list[float]) -> dict[str, float]:
    values = (pct(x, q) for x in (intervals, work) for q in (0.5, 0.95))
    out = dict(zip(("p50", "p95", "work50", "work95"), values, strict=True))
    over = 100 * sum(w > FRAME_MS for w in work) / max(1, len(work))
    return out | {"over": over, "frames": float(len(work))}


def recorded(page: Any, timeout_ms: float) -> list[dict[str, Any]]:
    page.evaluate("window.__rec.stop = true")
    page.wait_for_function("() => window.__rec.done", polling=50, timeout=timeout_ms)
    frames: list[dict[str, Any]] = page.evaluate("window.__rec.frames")
    return frames


def scroll_frames(page: Any, box: str) -> dict[str, float]:
    args = {"sel": box, "ms": SCROLL_MS, "maxFrames": MAX_FRAMES, "dy": SCROLL_DY, "dx": SCROLL_DX}
    page.evaluate(RECORD_JS, args)
    page.wait_for_timeout(SCROLL_MS)
    frames = recorded(page, SCROLL_MS + 10_000)
    intervals = [b["ts"] - a["ts"] for a, b in zip(frames, frames[1:], strict=False)]
    return summarize(intervals, [f["work"] for f in frames[1:] if f["work"] is not None])


def drag_frames(page: Any) -> dict[str, float]:
    """Drag a task bar out and back with the mouse; the frames that handled a move."""
    grab = page.evaluate(GRAB_JS, OURS)
    if grab is None:
        raise RuntimeError("no task bar to drag on screen")
    x, y, x0 = grab["x"], grab["y"], page.evaluate(BAR_X_JS, grab["id"])
    page.mouse.move(x, y)
    page.mouse.down()
    page.evaluate(RECORD_JS, {"sel": None, "ms": DRAG_BUDGET_S * 1000, "maxFrames": 4 * DRAG_MOVES})
    half = DRAG_MOVES // 4
    offsets = [DRAG_STEP_PX * min(k, 2 * half - k) for k in range(1, 2 * half + 1)] * 2
    deadline, followed = time.perf_counter() + DRAG_BUDGET_S, 0.0
    for i, dx in enumerate(offsets):
        if time.perf_counter() > deadline:
            break
        page.mouse.move(x + dx, y)
        if i == half - 1:  # the farthest point: did the bar follow the mouse?
            followed = page.evaluate(BAR_X_JS, grab["id"]) - x0
    frames = recorded(page, 10_000)
    page.mouse.up()
    page.wait_for_timeout(300)
    if page.locator("dialog[open]").count():
        page.keyboard.press("Escape")
    intervals, work = [], []
    for a, b in zip(frames, frames[1:], strict=False):
        if a["moved"] and a["work"] is not None:
            intervals.append(b["ts"] - a["ts"])
            work.append(a["work"])
    return summarize(intervals, work) | {"followed": followed}


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each numeric key's median over runs; other keys as in the last run."""
    out = dict(runs[-1])
    for k, v in out.items():
        if isinstance(v, int | float):
            out[k] = statistics.median(r[k] for r in runs)
    return out


def measure(context: Any, url: str, box: str, repeat: int, drag: bool) -> dict[str, Any]:
    """Load `url` `repeat` times (a fresh page each); scroll (and drag) on the last."""
    loads = []
    for _ in range(repeat):
        page = context.new_page()
        loads.append(load(page, url))
        if len(loads) < repeat:
            page.close()
    out = {"load": median_of(loads)}
    out["scroll"] = median_of([scroll_frames(page, box) for _ in range(repeat)])
    if drag:
        out["drag"] = median_of([drag_frames(page) for _ in range(repeat)])
    page.close()
    return out


# (url part, function names or () for any, bucket): the first rule that any
# frame of a sample's stack matches names the sample.
RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("frappe-gantt", (), "frappe-gantt's render (new Gantt)"),
    ("schedule/chart.js", ("decorate", "drawLinks", "markCalendar"), "chart.js decorate()"),
    ("schedule/grid.js", (), "grid.js render"),
    ("schedule/tree.js", (), "rows + outline (allRows, tree.js)"),
    ("schedule/view.js", ("allRows", "visibleTasks"), "rows + outline (allRows, tree.js)"),
    ("schedule/data.js", (), "tasks fetch + JSON (data.js, api.js)"),
    ("/api.js", (), "tasks fetch + JSON (data.js, api.js)"),
    ("schedule/chart.js", (), "chart.js other (toFrappe, scroll)"),
    ("schedule/view.js", (), "view.js other (draw, drawGrid's forced layout)"),
]
NATIVE = {"(program)": "(program): not JS: parse, style, layout, paint", "(idle)": "", "(root)": ""}
NATIVE["(garbage collector)"] = "garbage collection"


def classify(stack: list[dict[str, Any]]) -> str:
    for part, fns, label in RULES:
        if any(part in f["url"] and (not fns or f["functionName"] in fns) for f in stack):
            return label
    return "other JS (app shell, i18n, ...)"


def bucket_profile(profile: dict[str, Any]) -> dict[str, float]:
    """A CDP Profiler profile's sampled time (ms, idle left out) per bucket."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    memo: dict[int, str] = {}
    out: dict[str, float] = {}
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        if node_id not in memo:
            name = NATIVE.get(nodes[node_id]["callFrame"]["functionName"])
            stack: list[dict[str, Any]] = []
            cur = node_id
            while name is None and cur in nodes and len(stack) < 500:
                stack.append(nodes[cur]["callFrame"])
                cur = parent.get(cur, -1)
            memo[node_id] = classify(stack) if name is None else name
        if memo[node_id]:
            out[memo[node_id]] = out.get(memo[node_id], 0.0) + delta / 1000
    return out


def top_functions(profile: dict[str, Any], k: int = 12) -> list[tuple[str, float]]:
    """The `k` functions with the most sampled self time (ms): "name (file:line)"."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    out: Counter[str] = Counter()
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        frame = nodes[node_id]["callFrame"]
        if frame["functionName"] in NATIVE:
            continue
        where = frame["url"].rsplit("/", 1)[-1]
        label = f"{frame['functionName'] or '(anonymous)'} ({where}:{frame['lineNumber'] + 1})"
        out[label if where else frame["functionName"]] += delta / 1000
    return out.most_common(k)


def main_thread_self(raw: bytes) -> dict[str, float]:
    """Self time (ms) per trace event name on the busiest renderer main thread."""
    data = json.loads(raw)
    events = data["traceEvents"] if isinstance(data, dict) else data
    mains = {(e["pid"], e["tid"]) for e in events if e.get("args") == {"name": "CrRendererMain"}}
    busy: Counter[tuple[int, int]] = Counter()
    for e in events:
        if e.get("ph") == "X" and (e["pid"], e["tid"]) in mains:
            busy[(e["pid"], e["tid"])] += e.get("dur", 0)
    main = busy.most_common(1)[0][0] if busy else None
    spans = [e for e in events if e.get("ph") == "X" and (e["pid"], e["tid"]) == main]
    out: Counter[str] = Counter()
    stack: list[tuple[float, str]] = []  # (end, name) of the enclosing events
    for e in sorted(spans, key=lambda e: (e["ts"], -e.get("dur", 0))):
        start, dur = e["ts"], e.get("dur", 0)
        while stack and stack[-1][0] <= start:
            stack.pop()
        if stack:
            out[stack[-1][1]] -= dur / 1000
        out[e["name"]] += dur / 1000
        stack.append((start + dur, e["name"]))
    return dict(out)


def profile_size(context: Any, url: str) -> dict[str, Any]:
    """A traced load, scroll and drag; then a load under the CPU profiler."""
    page = context.new_page()
    page.goto(url + "/health")  # same origin first: the renderer (and CDP state) stays
    stats: dict[str, Any] = {}
    traces: dict[str, dict[str, float]] = {}
    for name, act in (
        ("first paint", lambda: stats.update(load(page, url + "/#/schedule", heap=False))),
        ("scroll 2 s", lambda: scroll_frames(page, OURS)),
        ("drag", lambda: drag_frames(page)),
    ):
        context.browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        act()
        traces[name] = main_thread_self(context.browser.stop_tracing())
    page.close()
    page = context.new_page()
    page.goto(url + "/health")
    cdp = context.new_cdp_session(page)
    for method, params in (
        ("enable", {}),
        ("setSamplingInterval", {"interval": 200}),
        ("start", {}),
    ):
        cdp.send(f"Profiler.{method}", params)
    load(page, url + "/#/schedule", heap=False)
    profile = cdp.send("Profiler.stop")["profile"]
    page.close()
    return {
        "stats": stats,
        "traces": traces,
        "buckets": bucket_profile(profile),
        "functions": top_functions(profile),
    }


def run_size(browser: Any, n: int, repeat: int, tmp: Path, base: str, prof: bool) -> dict[str, Any]:
    doc = build_document(n)
    (tmp / f"baseline-{n}.html").write_text(baseline_html(doc), encoding="utf-8")
    links = sum(len(t.get("depends_on", [])) for t in doc["tasks"])
    dates = sorted(d for t in doc["tasks"] for d in (t["start"], t["end"]))
    summaries = sum(1 for t in doc["tasks"] if t["id"].startswith("s"))
    print(f"{n:,} tasks: {summaries} summary tasks, {links:,} links, {dates[0]} .. {dates[-1]}")
    with loaded_server(doc, tmp / f"server-{n}") as server:
        context = new_context(browser, {"selected": [PID]}, OURS_READY)
        try:
            sign_in(context, server)
            ours = measure(context, f"{server.url}/#/schedule", OURS, repeat, drag=True)
            if prof:
                ours["profile"] = profile_size(context, server.url)
        finally:
            context.close()
    context = new_context(browser, None, BASE_READY)
    try:
        baseline = measure(context, f"{base}/baseline-{n}.html", BASE_BOX, repeat, drag=False)
    finally:
        context.close()
    return {"n": n, "links": links, "ours": ours, "base": baseline}


def pair(m: dict[str, float], a: str = "p50", b: str = "p95") -> str:
    return f"{m[a]:.1f} / {m[b]:.1f}"


def report(results: list[dict[str, Any]], repeat: int) -> None:
    main: list[list[Any]] = []
    detail: list[list[Any]] = []
    for r in results:
        o, b, n = r["ours"], r["base"], f"{r['n']:,}"
        ld, bl, sc, dr, bs = o["load"], b["load"], o["scroll"], o["drag"], b["scroll"]
        main.append(
            [n, f"{ld['paint']:.0f}", pair(sc), pair(dr), f"{sc['over']:.0f} / {dr['over']:.0f}"]
            + [f"{ld['rows']:.0f}", f"{ld['nodes']:,.0f}", f"{ld['heap_mb']:.1f}"]
            + [f"{bl['paint']:.0f}", f"{ld['paint'] / bl['paint']:.1f}x"]
        )
        fetched = f"{ld['fetched']:.0f} ({ld['requests']:.0f} req, server {ld['server']:.0f})"
        detail.append(
            [n, f"{ld['tasks_from']:.0f}", fetched, f"{ld['api_done']:.0f}"]
            + [f"{ld['dom'] - ld['api_done']:.0f}", f"{ld['paint'] - ld['dom']:.0f}"]
            + [f"{ld['arrows']:.0f}", pair(sc, "work50", "work95"), pair(dr, "work50", "work95")]
            + [
                f"{dr['frames']:.0f}, {dr['followed']:.0f} px",
                pair(bs),
                pair(bs, "work50", "work95"),
            ]
            + [f"{bl['nodes']:,.0f}", f"{ld['height']:,.0f}"]
        )
    print_table(
        f"Schedule page, headless chromium 1440x900: medians of {repeat} runs (ms unless named)",
        "size|first paint|scroll p50/p95|drag p50/p95|>16.7 ms % scroll/drag|rows drawn|"
        "DOM nodes|heap MB|baseline first paint|ratio".split("|"),
        main,
    )
    print_table(
        "Details (ms from navigation start; frame work: rAF timestamp to rendering done)",
        "size|tasks asked at|tasks in at|last answer at|draw JS|frame|arrows|scroll work p50/p95|"
        "drag work p50/p95|drag frames, bar moved|baseline scroll p50/p95|baseline work p50/p95|"
        "baseline DOM nodes|scroll height px".split("|"),
        detail,
    )
    report_goals(results)
    for r in results:
        if "profile" in r["ours"]:
            report_profile(r["n"], r["ours"]["profile"])


def report_goals(results: list[dict[str, Any]]) -> None:
    print("\nGoals (product issue); a frame meets 16.7 ms when its p95 work is <= 16.7 ms:")
    for r in results:
        goal, paint, n = GOAL_FIRST_PAINT.get(r["n"]), r["ours"]["load"]["paint"], r["n"]
        if goal:
            ok = "ok" if paint <= goal else "MISSED"
            print(f"  first paint <= {goal / 1000:g} s at {n:,} tasks: {paint:.0f} ms  {ok}")
    for kind, r in ((k, r) for k in ("scroll", "drag") for r in results):
        m = r["ours"][kind]
        ok = "ok" if m["work95"] <= FRAME_MS else "MISSED"
        print(f"  a {kind} under 16.7 ms a frame at {r['n']:,} tasks: frames p50/p95 {pair(m)} ms,")
        print(f"    work p95 {m['work95']:.1f} ms, {m['over']:.0f}% of frames over  {ok}")
    print(
        "  (ours: all rows in one scroll view, bars drawn near the view; the baseline: N rows at once)"
    )


def report_profile(n: int, prof: dict[str, Any]) -> None:
    traces = prof["traces"]
    names = sorted(
        {k for t in traces.values() for k in t},
        key=lambda k: -max(t.get(k, 0) for t in traces.values()),
    )
    rows: list[list[Any]] = [[k] + [f"{t.get(k, 0):.0f}" for t in traces.values()] for k in names]
    rows = rows[:12] + [["(all)"] + [f"{sum(t.values()):.0f}" for t in traces.values()]]
    print_table(
        f"Where the time goes at {n:,} tasks: main-thread self time (ms) per trace event "
        f"(the traced load painted at {prof['stats']['paint']:.0f} ms)",
        ["event", *traces],
        rows,
    )
    total = sum(prof["buckets"].values()) or 1.0
    buckets = sorted(prof["buckets"].items(), key=lambda kv: -kv[1])
    print_table(
        f"First paint at {n:,} tasks: CPU profile (another load, 0.2 ms samples, idle left out)",
        ["bucket (JS by the stack it runs under)", "ms", "share"],
        [[k, f"{ms:.0f}", f"{100 * ms / total:.0f}%"] for k, ms in buckets],
    )
    print_table(
        f"First paint at {n:,} tasks: the functions with the most self time (same profile)",
        ["function (file:line; frappe-gantt.es.js is the library)", "ms"],
        [[k, f"{ms:.0f}"] for k, ms in prof["functions"]],
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default="200,2000,10000", help="task counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measure (median), 1-10")
    ap.add_argument("--profile", action="store_true", help="also show where the time goes")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    repeat = max(1, min(args.repeat, 10))
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-gantt-") as tmp,
        static_server(Path(tmp)) as base_url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for n in sizes:
                results.append(run_size(browser, n, repeat, Path(tmp), base_url, args.profile))
        finally:
            browser.close()
    report(results, repeat)
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
