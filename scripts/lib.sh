# Shared shell helpers for scripts/start.sh and scripts/test.sh.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_install PKG... : install what is missing (idempotent, waits for a busy dpkg lock)
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Instaluji balíčky: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

# python_env REQUIREMENTS : .venv with pinned packages, reinstalled only when the pins change
python_env() {
  local requirements="$1"
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Potřebuji Python 3.11 nebo novější (Debian 12 ho má jako python3)." >&2; exit 2
  fi
  python3 -m venv --help >/dev/null 2>&1 && python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  local stamp="$VENV/.installed-$(cat "$REPO/$requirements" "$REPO/requirements.txt" "$REPO/constraints.txt" | sha256sum | cut -c1-16)"
  if [ ! -e "$stamp" ]; then
    say "Instaluji Python balíčky ($requirements)"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -r "$REPO/$requirements" -c "$REPO/constraints.txt"
    # the checker itself, editable, so `./kurz` works from any directory
    "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e "$REPO"
    touch "$stamp"
  fi
}
