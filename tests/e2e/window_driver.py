"""Run the real desktop app window and read it from inside, for test_desktop_window.py.

    python window_driver.py DATA_DIR SHOT.png [--resize WxH] [--save-as PATH]
                            [--schedule N] [--flows FOLDER]

It starts `localapp.app.run_desktop` (store, guarded server, pywebview
window) exactly as `localapp` does, with one addition: a helper thread
that waits until the page has rendered, reads the DOM with run_js (the
page's CSP forbids eval, which pywebview's evaluate_js wraps scripts in),
takes a screenshot of the X screen with ImageMagick, optionally resizes the
window, optionally downloads a file the way the app's export buttons do
(a link with `download`) and answers the native save dialog with xdotool,
optionally runs schedule flows (window_schedule.py; screenshots in zh-CN
and English beside SHOT), prints `RESULT {json}` and closes the window with window.destroy(), the
same path as the close button. The exit code is run_desktop's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from localapp import app, logs
from localapp.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: xvfb_display
import window_schedule  # noqa: E402  (tests/e2e, beside this file)
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


DOWNLOAD = """(() => {
  const a = document.createElement('a');
  a.href = 'api/projects';
  a.download = 'projects.json';
  document.body.append(a);
  a.click();
  a.remove();
  return true;
})()"""


def save_with_dialog(window: Any, target: Path, shot: Path) -> dict[str, Any]:
    """Start a download in the page, then type `target` into the native save dialog."""
    window.run_js(DOWNLOAD)
    window_schedule.answer_dialog(window_schedule.SAVE_NAMES, target, shot)
    wait_for(
        lambda: target.is_file() and target.stat().st_size > 0, f"a file saved to {target}", 20
    )
    return {"dialog": True, "saved": target.read_text(encoding="utf-8")}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("shot", type=Path)
    parser.add_argument("--resize", help="WxH to resize to before closing")
    parser.add_argument("--save-as", type=Path, help="download a file and save it here")
    parser.add_argument("--schedule", type=int, help="load a project of N tasks and scroll it")
    parser.add_argument(
        "--flows", type=Path, help="schedule flows from this MS Project file, into this folder"
    )
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
            wait_for(
                lambda: window.run_js(window_schedule.PAINTED), "the page to report a paint", 30
            )
            capture_drawn(args.shot)
            if args.save_as:
                shot = args.shot.with_name(args.shot.stem + "-save-dialog.png")
                result["save"] = save_with_dialog(window, args.save_as, shot)
            if args.schedule:
                result["schedule"] = window_schedule.scroll(window, args.schedule, args.shot)
            if args.flows:
                result["flows"] = window_schedule.flows(window, args.flows, args.shot)
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
