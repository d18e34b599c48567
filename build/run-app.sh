#!/usr/bin/env bash
# Run localapp from this checkout: `bash build/run-app.sh [localapp args]`.
# The first run makes .venv and installs the app with its runtime
# dependencies (and the UI's npm packages once ui/ has any); later runs go
# straight to the app unless pyproject.toml or ui/package*.json changed.
# With a display (DISPLAY or WAYLAND_DISPLAY) it also installs the desktop
# window's GTK/WebKitGTK packages and the desktop extra.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=build/_setup.sh
. "$ROOT/build/_setup.sh"
# The window needs GTK/WebKitGTK; without a display the app serves in the
# browser, so a headless machine skips those packages.
if has_display; then
    # shellcheck disable=SC2046  # word splitting of the package lists is wanted
    ensure_apt $(desktop_packages) $(node_packages) fonts-noto-cjk
    ensure_venv "desktop"
else
    # shellcheck disable=SC2046
    ensure_apt $(node_packages) fonts-noto-cjk  # the PDF exports embed it
    ensure_venv ""
fi
ensure_ui_assets
exec "$ROOT/.venv/bin/localapp" "$@"
