"""Copy the browser files the UI loads from ui/node_modules into ui/vendor/.

Run after `npm ci --prefix ui`:  `python3 build/vendor.py`

The pages import these files as they are (ES modules and CSS, no bundler) and
never from a CDN, so the app works offline. ui/vendor/ is git-ignored and is
rebuilt from the npm lock file; it ships in the wheel through package-data.
Only files listed in VENDOR are copied, so node_modules' sources, tests and
source maps stay out of the package.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

UI = Path(__file__).resolve().parent.parent / "ui"

#: npm package -> files (relative to the package folder) that the UI loads,
#: plus its licence text, which must travel with the copy.
VENDOR: dict[str, tuple[str, ...]] = {
    "frappe-gantt": ("dist/frappe-gantt.es.js", "dist/frappe-gantt.css", "license.txt"),
    # The UMD build is one self-contained file (dist/chart.js imports ./chunks/, which
    # the flat copy would break); imported as a module it sets globalThis.Chart.
    "chart.js": ("dist/chart.umd.min.js", "LICENSE.md"),
}


def vendor(ui: Path = UI) -> list[Path]:
    """Copy every listed file to ui/vendor/<package>/<file name>; return the copies."""
    copied: list[Path] = []
    for package, files in VENDOR.items():
        src_dir = ui / "node_modules" / package
        manifest = src_dir / "package.json"
        if not manifest.is_file():
            raise SystemExit(f"vendor: {src_dir} is missing; run `npm ci --prefix ui` first")
        version = json.loads(manifest.read_text(encoding="utf-8"))["version"]
        dest_dir = ui / "vendor" / package
        # Start clean so a file dropped from VENDOR does not linger in the wheel.
        shutil.rmtree(dest_dir, ignore_errors=True)
        dest_dir.mkdir(parents=True)
        for rel in files:
            dest = dest_dir / Path(rel).name
            shutil.copyfile(src_dir / rel, dest)
            copied.append(dest)
        (dest_dir / "VERSION.json").write_text(
            json.dumps({"package": package, "version": version}) + "\n", encoding="utf-8")
    return copied


def main() -> int:
    for path in vendor():
        print(path.relative_to(UI.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
