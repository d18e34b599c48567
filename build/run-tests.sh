#!/usr/bin/env bash
# Run the whole test suite: `bash build/run-tests.sh [pytest args]`.
# On a fresh Debian 12 machine (root, Python 3.11) it installs everything the
# tests need first: the Debian packages for browser and window tests (GTK and
# WebKitGTK for the desktop window) and Java for MPXJ (tests/mpxj_tool.py),
# .venv with the test, sync, desktop and build extras (the build tests run
# PyInstaller), ui/'s npm packages and the tests' own (tests/npm: s3rver).
# Each step is skipped when already done, so a second run goes straight to
# the checks (ruff, import-linter, mypy) and pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=build/_setup.sh
. "$ROOT/build/_setup.sh"

# shellcheck disable=SC2046  # word splitting of the package list is wanted
ensure_apt chromium xvfb fonts-noto-cjk poppler-utils xauth imagemagick xdotool binutils e2fsprogs \
    openjdk-17-jre-headless \
    $(desktop_packages) $(node_packages)
ensure_venv "test,sync,desktop,build"
ensure_ui_assets
ensure_npm_dir "$ROOT/tests/npm"  # s3rver: a store without conditional writes

echo "==> ruff check"
lint_paths=()
for p in localapp sync tests benchmarks; do [ -e "$p" ] && lint_paths+=("$p"); done
.venv/bin/ruff check "${lint_paths[@]}"
echo "==> ruff format --check"
.venv/bin/ruff format --check "${lint_paths[@]}"
bash build/typecheck.sh

echo "==> pytest $*"
# pytest-timeout bounds each test (pyproject.toml); this bounds the whole run.
limit="${LOCALAPP_TEST_RUN_TIMEOUT:-3600}"
status=0
timeout --kill-after=30 "$limit" .venv/bin/python -m pytest -p no:cacheprovider "$@" </dev/null \
    || status=$?
case "$status" in
    0) ;;
    5) echo "run-tests: pytest collected no tests; that counts as a failure" >&2 ;;
    124) echo "run-tests: the test run took longer than ${limit}s and was stopped" >&2 ;;
esac
exit "$status"
