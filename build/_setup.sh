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

# ensure_venv EXTRAS -- .venv with this project installed editable; EXTRAS is
# "" for the app alone or e.g. "test,sync". Reinstalls only when
# pyproject.toml changed since the last install (stamp in .venv).
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
    # An install with extras (the tests') also covers the app alone.
    if [ -z "$extras" ] && [ -f "$stamp" ] && grep -q "^$hash " "$stamp"; then
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
    local npm_stamp="$ui/node_modules/.localapp-installed"
    local vendor_stamp="$ui/node_modules/.localapp-vendored"
    if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$(_npm_hash)" ]; then
        echo "==> installing ui/ npm packages"
        if [ -f "$ui/package-lock.json" ]; then
            npm ci --prefix "$ui" --no-audit --no-fund
        else
            npm install --prefix "$ui" --no-audit --no-fund
        fi
        mkdir -p "$ui/node_modules"  # npm makes none when there are no dependencies
        # Hashed after the install: the first `npm install` writes the lock file.
        _npm_hash > "$npm_stamp"
    fi
    [ -f "$ROOT/build/vendor.py" ] || return 0
    local want
    want="$(cat "$npm_stamp" "$ROOT/build/vendor.py" | sha256sum | cut -d' ' -f1)"
    if [ ! -d "$ui/vendor" ] || [ ! -f "$vendor_stamp" ] || [ "$(cat "$vendor_stamp")" != "$want" ]; then
        echo "==> copying UI packages into ui/vendor/"
        "$ROOT/.venv/bin/python" "$ROOT/build/vendor.py"
        echo "$want" > "$vendor_stamp"
    fi
}

_npm_hash() {
    cat "$ROOT/ui/package.json" "$ROOT/ui/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1
}
