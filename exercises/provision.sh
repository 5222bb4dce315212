#!/bin/bash
# Provisioning of the course VM, shared by the Vagrantfile and the offline image builder (lab/).
#
# Runs as root inside Debian 12. Puts the starter project in /srv/my_project (owner vagrant),
# makes it a git repository with one initial commit, creates /srv/my_project/.venv with the
# starter's requirements (from the local wheelhouse /opt/kurz/wheels when present, else PyPI)
# and runs migrate on SQLite. It does NONE of the lesson's steps: no nginx, gunicorn or
# PostgreSQL, DEBUG stays True, the insecure default SECRET_KEY stays.
#
# Idempotent: an existing project is never overwritten (the student's work stays), and a
# second run changes nothing and says so. Everything printed is Czech (the student reads it).
#
# Where the starter comes from: $KURZ_STARTER, else "starter/" next to this script.
set -euo pipefail

PROJECT=/srv/my_project
OWNER=vagrant
WHEELS=/opt/kurz/wheels
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STARTER=${KURZ_STARTER:-$HERE/starter}
GIT_NAME="Kurz Django v produkci"
GIT_EMAIL="kurz@django-v-produkci.invalid"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1

changed=0
say()  { printf '==> %s\n' "$*"; }
done_() { printf '    ✔ %s\n' "$*"; }
did()  { printf '    ➜ %s\n' "$*"; changed=1; }
fail() { printf 'CHYBA: %s\n' "$*" >&2; exit 1; }
as_owner() { runuser -u "$OWNER" -- env HOME="/home/$OWNER" "$@"; }

[ "$(id -u)" -eq 0 ] || fail "příprava musí běžet jako root (sudo bash $0)."
id "$OWNER" >/dev/null 2>&1 || fail "uživatel $OWNER neexistuje."

say "Příprava kurzového stroje Django v produkci"

# 1. System packages the starter needs (the offline image has them already).
say "Systémové balíčky (python3, venv, git)"
missing=()
for pkg in python3 python3-venv git ca-certificates; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    done_ "už jsou nainstalované"
else
    did "instaluji: ${missing[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The project files (never overwritten once they exist).
say "Projekt v $PROJECT"
if [ -f "$PROJECT/manage.py" ]; then
    done_ "projekt už existuje, nechávám ho beze změny"
else
    [ -f "$STARTER/manage.py" ] || fail "nenašel jsem výchozí projekt v $STARTER."
    did "kopíruji výchozí projekt"
    mkdir -p "$PROJECT"
    cp -a "$STARTER/." "$PROJECT/"
    # Leftovers a developer may have in the starter folder on the host.
    rm -rf "$PROJECT/.venv" "$PROJECT/.git" "$PROJECT/static" "$PROJECT/db.sqlite3"
    find "$PROJECT" -name __pycache__ -prune -exec rm -rf {} +
    chown -R "$OWNER:$OWNER" "$PROJECT"
fi

# 3. Git repository with one initial commit.
say "Git repozitář"
if as_owner git -C "$PROJECT" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    done_ "repozitář už má commit"
else
    did "zakládám repozitář a první commit"
    as_owner git -C "$PROJECT" init -q -b main
    as_owner git -C "$PROJECT" add -A
    as_owner env GIT_AUTHOR_NAME="$GIT_NAME" GIT_AUTHOR_EMAIL="$GIT_EMAIL" \
        GIT_COMMITTER_NAME="$GIT_NAME" GIT_COMMITTER_EMAIL="$GIT_EMAIL" \
        git -C "$PROJECT" commit -q -m "Výchozí projekt kurzu Django v produkci"
fi

# 4. Virtual environment with the starter's requirements.
say "Virtuální prostředí $PROJECT/.venv"
if [ -x "$PROJECT/.venv/bin/python" ]; then
    done_ "prostředí už existuje"
else
    did "vytvářím virtuální prostředí"
    as_owner python3 -m venv "$PROJECT/.venv"
fi
if as_owner "$PROJECT/.venv/bin/python" - "$PROJECT/requirements.txt" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, _, want = line.partition("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        sys.exit(1)
    if want and have != want:
        sys.exit(1)
PY
then
    done_ "balíčky z requirements.txt už jsou nainstalované"
else
    if [ -d "$WHEELS" ]; then
        did "instaluji balíčky z místního skladu $WHEELS"
        as_owner "$PROJECT/.venv/bin/pip" install -q --no-index --find-links "$WHEELS" -r "$PROJECT/requirements.txt"
    else
        did "instaluji balíčky z PyPI"
        as_owner "$PROJECT/.venv/bin/pip" install -q -r "$PROJECT/requirements.txt"
    fi
fi

# 5. Database (SQLite) migrations.
say "Databáze (migrate)"
if as_owner bash -c "cd '$PROJECT' && .venv/bin/python manage.py migrate --check" >/dev/null 2>&1; then
    done_ "databáze je aktuální"
else
    did "spouštím migrate"
    as_owner bash -c "cd '$PROJECT' && .venv/bin/python manage.py migrate --noinput -v0"
fi

if [ "$changed" -eq 0 ]; then
    say "Hotovo: všechno už bylo připravené, nic se nezměnilo."
else
    say "Hotovo: projekt je v $PROJECT. Vyzkoušejte ho:"
    printf '    cd %s && .venv/bin/python manage.py runserver 0.0.0.0:8000\n' "$PROJECT"
fi
