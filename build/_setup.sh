# Shared by run-app.sh and run-tests.sh (sourced, not run). Each step does
# its work only when something changed since it last ran, so a second run of
# either script goes straight to the app or the tests. Needs ROOT set.

# ensure_apt PKG... -- install the Debian packages that are missing, if any.
ensure_apt() {
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    echo "==> installing Debian packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# node_packages -- the Debian packages for npm, when ui/ needs npm and it is absent.
node_packages() {
    if [ -f "$ROOT/ui/package.json" ] && ! command -v npm >/dev/null 2>&1; then
        echo nodejs npm
    fi
}

# desktop_packages -- the Debian packages for the desktop window (pywebview's
# GTK backend: WebKitGTK and its typelibs) and for building PyGObject in the
# venv (whose python is pyenv's and cannot see Debian's python3-gi).
desktop_packages() {
    echo gir1.2-gtk-3.0 gir1.2-webkit2-4.1 libgirepository1.0-dev libcairo2-dev pkg-config gcc
}

# has_display -- true when a window could be shown (X11 or Wayland).
has_display() {
    [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]
}

# ensure_venv EXTRAS -- .venv with this project installed editable; EXTRAS is
# "" for the app alone or e.g. "test,sync". Reinstalls only when
# pyproject.toml changed since the last install (stamp in .venv), or when an
# extra is wanted that no install for this pyproject.toml included.
ensure_venv() {
    local extras="$1"
    local venv="$ROOT/.venv"
    local py="${PYTHON:-python3}"
    if [ ! -x "$venv/bin/python" ]; then
        echo "==> creating $venv with $("$py" --version 2>&1)"
        "$py" -m venv "$venv"
    fi
    local hash
    hash="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    local want="$hash [${extras}]"
    local stamp="$venv/.localapp-installed"
    if [ -f "$stamp" ] && grep -qxF "$want" "$stamp"; then
        return 0
    fi
    # An install with more extras (the tests') also covers fewer.
    if [ -f "$stamp" ] && _extras_covered "$hash" "$extras" "$stamp"; then
        return 0
    fi
    local target="."
    [ -n "$extras" ] && target=".[$extras]"
    echo "==> installing localapp${extras:+ with [$extras]} into $venv (first run, or pyproject.toml changed)"
    (cd "$ROOT" && "$venv/bin/python" -m pip install --disable-pip-version-check -q -e "$target")
    # Keep stamps of other extras for the same pyproject.toml; drop older ones.
    { grep "^$hash " "$stamp" 2>/dev/null || true; echo "$want"; } | sort -u > "$stamp.new"
    mv "$stamp.new" "$stamp"
}

# ensure_ui_assets -- once ui/package.json exists: `npm ci` in ui/, then
# build/vendor.py copies the files the pages load into ui/vendor/ (which git
# ignores, so a fresh clone has none). Run after ensure_venv.
ensure_ui_assets() {
    local ui="$ROOT/ui"
    [ -f "$ui/package.json" ] || return 0
    ensure_npm_dir "$ui"
    local npm_stamp="$ui/node_modules/.localapp-installed"
    local vendor_stamp="$ui/node_modules/.localapp-vendored"
    [ -f "$ROOT/build/vendor.py" ] || return 0
    local want
    want="$(cat "$npm_stamp" "$ROOT/build/vendor.py" | sha256sum | cut -d' ' -f1)"
    if [ ! -d "$ui/vendor" ] || [ ! -f "$vendor_stamp" ] || [ "$(cat "$vendor_stamp")" != "$want" ]; then
        echo "==> copying UI packages into ui/vendor/"
        "$ROOT/.venv/bin/python" "$ROOT/build/vendor.py"
        echo "$want" > "$vendor_stamp"
    fi
}

# ensure_npm_dir DIR -- `npm ci` (or `npm install` without a lock file) in DIR,
# unless DIR/node_modules was installed from the same package files.
ensure_npm_dir() {
    local dir="$1"
    local npm_stamp="$dir/node_modules/.localapp-installed"
    if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$(_npm_hash "$dir")" ]; then
        echo "==> installing ${dir#"$ROOT"/}/ npm packages"
        if [ -f "$dir/package-lock.json" ]; then
            npm ci --prefix "$dir" --no-audit --no-fund
        else
            npm install --prefix "$dir" --no-audit --no-fund
        fi
        mkdir -p "$dir/node_modules"  # npm makes none when there are no dependencies
        # Hashed after the install: the first `npm install` writes the lock file.
        _npm_hash "$dir" > "$npm_stamp"
    fi
}

_npm_hash() {
    cat "$1/package.json" "$1/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1
}

# _extras_covered HASH EXTRAS STAMP -- true if one install recorded in STAMP for
# this pyproject.toml HASH included every extra in EXTRAS (comma-separated).
_extras_covered() {
    local hash="$1" extras="$2" stamp="$3" line have want ok
    while IFS= read -r line; do
        [ "${line%% *}" = "$hash" ] || continue
        have=",${line#*[}"; have="${have%]},"
        ok=1
        for want in ${extras//,/ }; do
            case "$have" in *",$want,"*) ;; *) ok=0 ;; esac
        done
        [ "$ok" -eq 1 ] && return 0
    done < "$stamp"
    return 1
}
