#!/usr/bin/env bash
# import-linter and mypy over the package as it is installed: localapp/ with sync/ inside it as
# localapp.sync (pyproject.toml's package-dir). mypy cannot map a folder to
# another package name, so it checks a tree of links made for the run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/localapp"
for entry in "$ROOT"/localapp/*; do
    ln -s "$entry" "$tree/localapp/"
done
ln -s "$ROOT/sync" "$tree/localapp/sync"
cd "$tree"
echo "==> import-linter (the layer rules in pyproject.toml)"
PYTHONPATH="$tree" "$ROOT/.venv/bin/lint-imports" "$ROOT/pyproject.toml" --no-cache
echo "==> mypy"
"$ROOT/.venv/bin/mypy" --config-file "$ROOT/pyproject.toml" localapp
