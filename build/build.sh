#!/usr/bin/env bash
# Build the frozen programs: `bash build/build.sh`
#
#   build/dist/localapp                          one-file desktop executable
#   build/dist/localapp-server/localapp-server   one-folder server build (FaaS)
#   build/dist/fc/                               bootstrap + the server build: the
#                                                Function Compute code package
#
# LOCALAPP_BUILD=server (or desktop) builds only that one. The first run sets
# up what the build needs (.venv with the desktop and build extras, the GTK
# packages, the UI's npm files); later runs go straight to PyInstaller.
# PyInstaller's work files go to build/work/, the results to build/dist/
# (both git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=build/_setup.sh
. "$ROOT/build/_setup.sh"

# shellcheck disable=SC2046  # word splitting of the package lists is wanted
ensure_apt $(desktop_packages) binutils fonts-noto-cjk $(node_packages)
ensure_venv "desktop,build"
ensure_ui_assets

echo "==> PyInstaller (${LOCALAPP_BUILD:-server,desktop})"
# ERROR, not WARN: PyInstaller's GTK hooks warn about GLib 2.80 modules
# (GLibUnix, GioWin32) that Debian 12 does not have and we do not use.
.venv/bin/pyinstaller --noconfirm --clean --log-level ERROR \
    --workpath "$ROOT/build/work" --distpath "$ROOT/build/dist" "$ROOT/build/localapp.spec"

if [ -d build/dist/localapp-server ]; then
    # The Function Compute code package: bootstrap next to the server build.
    # Zip this folder's contents for the console, or `s deploy` from build/faas/.
    rm -rf build/dist/fc
    mkdir -p build/dist/fc
    cp -a build/faas/bootstrap build/dist/fc/
    cp -a build/dist/localapp-server build/dist/fc/
fi

for built in build/dist/localapp build/dist/localapp-server build/dist/fc; do
    [ -e "$built" ] && echo "built $built ($(du -sh "$built" | cut -f1))"
done
