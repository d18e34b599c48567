#!/usr/bin/env bash
# Run localapp from this checkout: `bash build/run-app.sh [localapp args]`.
# The first run makes .venv and installs the app with its runtime
# dependencies (and the UI's npm packages once ui/ has any); later runs go
# straight to the app unless pyproject.toml or ui/package*.json changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=build/_setup.sh
. "$ROOT/build/_setup.sh"
# shellcheck disable=SC2046  # word splitting of the package list is wanted
ensure_apt $(node_packages)
ensure_venv ""
ensure_ui_assets
exec "$ROOT/.venv/bin/localapp" "$@"
