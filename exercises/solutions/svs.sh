#!/bin/bash
# Bonus „svs“: nasazení projektu na SVS (svs.gyarab.cz) tak, jak to dělá učitelův svs.py.
#
# Spouští se NA SVS pod vaším účtem, v kořeni projektu (vedle manage.py):
#   bash svs.sh jmeno.svs.gyarab.cz
# Doménu musíte mít zaregistrovanou (`sudo avava-web register jmeno.svs.gyarab.cz`); port
# skript přečte z konfigurace Caddy (/var/caddy.conf.d/DOMÉNA), databázi dbNNNN z ~/.pgpass.
# Kroky:
#   1. .svs s doménou, virtuální prostředí s gunicornem a psycopg,
#   2. tajný klíč v secret_key.txt (mimo git) a my_project/settings_svs.py: DEBUG vypnutý,
#      doména v ALLOWED_HOSTS, STATIC_ROOT v /var/caddy.root.d/DOMÉNA/static, PostgreSQL dbNNNN
#      (heslo z ~/.pgpass), HTTPS (HSTS bez subdomén, bezpečné cookies),
#   3. migrate a collectstatic s tímto nastavením,
#   4. výchozí index.html → index.html.backup, odkaz media → MEDIA_ROOT (Caddy ho smí číst),
#   5. uživatelská služba systemd DOMÉNA.service na přiděleném portu, enable, linger.
# Skript jde spustit znovu (po git pull): nic nerozbije, jen aktualizuje.
set -euo pipefail
[ -f manage.py ] || { echo "CHYBA: spusťte skript v kořeni projektu (vedle manage.py)." >&2; exit 1; }
DOMAIN=${1:-$(sed -n 's/^domain=//p' .svs 2>/dev/null | head -1)}
[ -n "$DOMAIN" ] || { echo "CHYBA: zadejte doménu: bash svs.sh jmeno.svs.gyarab.cz" >&2; exit 1; }
ROOT=/var/caddy.root.d/$DOMAIN
[ -d "$ROOT" ] || { echo "CHYBA: doména $DOMAIN není zaregistrovaná (chybí $ROOT); spusťte sudo avava-web register $DOMAIN." >&2; exit 1; }
PORT=${PORT:-$(grep -o 'reverse_proxy[^0-9]*127\.0\.0\.1:[0-9]*' "/var/caddy.conf.d/$DOMAIN" | grep -o '[0-9]*$' | head -1)}
[ -n "$PORT" ] || { echo "CHYBA: port domény nejde zjistit; zjistěte ho příkazem sudo avava-web list a spusťte PORT=… bash svs.sh." >&2; exit 1; }
DB=${DB:-$(awk -F: 'NF>=5 && $4 ~ /^db[0-9]+$/ {print $4; exit}' ~/.pgpass 2>/dev/null)}
[ -n "$DB" ] || { echo "CHYBA: v ~/.pgpass není databáze dbNNNN." >&2; exit 1; }
PROJECT=$(sed -n "s/.*DJANGO_SETTINGS_MODULE['\"], *['\"]\([A-Za-z_][A-Za-z0-9_]*\)\.settings['\"].*/\1/p" manage.py | head -1)
HERE=$(pwd)
WHEELS=${WHEELS:-/opt/kurz/wheels}
export DJANGO_SETTINGS_MODULE=$PROJECT.settings_svs PIP_DISABLE_PIP_VERSION_CHECK=1
echo "==> SVS: $DOMAIN (port $PORT, databáze $DB, projekt $PROJECT v $HERE)"

echo "domain=$DOMAIN" > .svs

echo "==> Virtuální prostředí"
[ -x .venv/bin/python ] || python3 -m venv .venv
if [ -d "$WHEELS" ]; then PIP=(.venv/bin/pip install -q --no-index --find-links "$WHEELS"); else PIP=(.venv/bin/pip install -q); fi
"${PIP[@]}" -r requirements.txt gunicorn 'psycopg[binary]'

echo "==> Nastavení $PROJECT/settings_svs.py"
if [ ! -s secret_key.txt ]; then
    .venv/bin/python -c 'from django.core.management.utils import get_random_secret_key; print(get_random_secret_key())' > secret_key.txt
fi
chmod 600 secret_key.txt
grep -qx 'secret_key.txt' .gitignore 2>/dev/null || echo 'secret_key.txt' >> .gitignore
cat > "$PROJECT/settings_svs.py" <<PY
# Settings for SVS ($DOMAIN): the base settings plus what production needs.
from .settings import *  # noqa: F401,F403

SECRET_KEY = (BASE_DIR / 'secret_key.txt').read_text().strip()
DEBUG = False
ALLOWED_HOSTS = ['$DOMAIN']
STATIC_URL = 'static/'
STATIC_ROOT = '$ROOT/static'
MEDIA_URL = 'media/'
MEDIA_ROOT = BASE_DIR / 'media'
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': '$DB',
        'USER': '$DB',
        'PASSWORD': '',  # libpq reads it from ~/.pgpass
    }
}
# Caddy serves HTTPS and tells gunicorn so (X-Forwarded-Proto from 127.0.0.1).
SECURE_HSTS_SECONDS = 3600  # no includeSubDomains/preload: other students own the other subdomains
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
PY

echo "==> migrate a collectstatic"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py collectstatic --noinput -v0

echo "==> Adresář webu $ROOT"
if [ -f "$ROOT/index.html" ]; then mv "$ROOT/index.html" "$ROOT/index.html.backup"; fi
mkdir -p media logs
[ -L "$ROOT/media" ] || ln -s "$HERE/media" "$ROOT/media"
# Caddy (its own user) must get through the home directory to the uploaded files.
chmod o+x "$HOME" "$HERE"
chmod -R o+rX media

echo "==> Služba $DOMAIN.service"
UNITS=$HOME/.config/systemd/user
mkdir -p "$UNITS"
echo "DJANGO_SETTINGS_MODULE=$PROJECT.settings_svs" > "$UNITS/$DOMAIN.service.env"
cat > "$UNITS/$DOMAIN.service" <<UNIT
[Unit]
Description=Gunicorn instance to serve $PROJECT at $DOMAIN
After=network.target

[Service]
Type=simple
WorkingDirectory=$HERE
EnvironmentFile=$UNITS/$DOMAIN.service.env
ExecStart=$HERE/.venv/bin/gunicorn --workers 2 --bind :$PORT --access-logfile logs/access.log --error-logfile logs/error.log --capture-output $PROJECT.wsgi:application
Restart=on-failure

[Install]
WantedBy=default.target
UNIT
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
systemctl --user daemon-reload
systemctl --user enable "$DOMAIN.service"
systemctl --user restart "$DOMAIN.service"
if [ "$(loginctl show-user "$(id -un)" -p Linger --value 2>/dev/null)" != yes ]; then
    loginctl enable-linger "$(id -un)"
fi
for _ in $(seq 60); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $DOMAIN" -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$PORT/" || true)
    [ "$code" = 200 ] && break
    sleep 0.5
done
echo "GET / přímo na gunicorn (port $PORT): $code"
[ "$code" = 200 ]
echo "==> Hotovo: https://$DOMAIN/"
