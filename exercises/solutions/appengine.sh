#!/bin/bash
# Bonus „appengine“: projekt připravený pro Google App Engine (standardní prostředí).
#
# Spouští se na počítači studenta v kořeni projektu (vedle manage.py), ne na kurzovém stroji:
#   bash exercises/solutions/appengine.sh /cesta/k/projektu
# Udělá totéž co návod Googlu „Running Django on the App Engine standard environment“, jen bez
# balíčku django-environ (proměnné prostředí čte přímo os.environ):
#   * settings.py čte SECRET_KEY, DEBUG a DATABASE_URL z prostředí; v App Engine si je (když
#     chybí) načte ze Secret Manageru (tajemství django_settings, obsah jako soubor .env),
#   * ALLOWED_HOSTS a CSRF_TRUSTED_ORIGINS z APPENGINE_URL (adresa aplikace v app.yaml),
#   * HTTPS: HSTS, bezpečné cookies, `secure: always` u handlerů,
#   * app.yaml (runtime python313, /static → static/), main.py, requirements.txt, .gcloudignore,
#   * collectstatic do static/ (App Engine ho nahraje s aplikací).
# Nasazení samo (`gcloud app deploy`) už skript nedělá – potřebuje účet v Google Cloudu.
set -euo pipefail
cd "${1:-.}"
[ -f manage.py ] || { echo "CHYBA: tady není manage.py; spusťte skript v kořeni Django projektu." >&2; exit 1; }
PROJECT=$(sed -n "s/.*DJANGO_SETTINGS_MODULE['\"], *['\"]\([A-Za-z_][A-Za-z0-9_]*\)\.settings['\"].*/\1/p" manage.py | head -1)
[ -n "$PROJECT" ] || { echo "CHYBA: z manage.py nejde poznat jméno projektu." >&2; exit 1; }
APPENGINE_URL=${APPENGINE_URL:-kurz-django.ew.r.appspot.com}
PYTHON=${PYTHON:-.venv/bin/python}
echo "==> Bonus appengine: projekt $PROJECT pro App Engine ($APPENGINE_URL)"

"$PYTHON" - "$PROJECT/settings.py" <<'PY'
import re
import sys
from pathlib import Path

path = Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
if "# --- App Engine ---" in text:
    print("    settings.py už je upravený")
    sys.exit(0)
text = re.sub(r"^SECRET_KEY = .*$", "SECRET_KEY = os.environ['SECRET_KEY']", text, count=1, flags=re.M)
text = re.sub(r"^DEBUG = .*$", "DEBUG = os.environ.get('DEBUG') == '1'", text, count=1, flags=re.M)
text = re.sub(r"^ALLOWED_HOSTS = .*$", "ALLOWED_HOSTS = [APPENGINE_HOST] if APPENGINE_HOST else ['127.0.0.1', 'localhost']",
              text, count=1, flags=re.M)
block = '''import os
from urllib.parse import unquote, urlsplit

# --- App Engine ---
# In App Engine the secrets come from Secret Manager (secret "django_settings", lines KEY=value);
# locally and in tests from the environment. GOOGLE_CLOUD_PROJECT is set only in App Engine.
if os.environ.get('GOOGLE_CLOUD_PROJECT') and 'SECRET_KEY' not in os.environ:
    from google.cloud import secretmanager

    _client = secretmanager.SecretManagerServiceClient()
    _name = f"projects/{os.environ['GOOGLE_CLOUD_PROJECT']}/secrets/django_settings/versions/latest"
    for _line in _client.access_secret_version(name=_name).payload.data.decode('utf-8').splitlines():
        _key, _sep, _value = _line.partition('=')
        if _sep:
            os.environ.setdefault(_key.strip(), _value.strip())

APPENGINE_HOST = urlsplit('//' + os.environ['APPENGINE_URL']).hostname if os.environ.get('APPENGINE_URL') else None
'''
text = text.replace("from pathlib import Path\n", "from pathlib import Path\n" + block, 1)
text += '''

# --- App Engine: database, static files, HTTPS ---
def database_from_url(url):
    """postgres://USER:PASSWORD@//cloudsql/PROJECT:REGION:INSTANCE/DB or sqlite:////path/db.sqlite3"""
    if url.startswith('sqlite:///'):
        return {'ENGINE': 'django.db.backends.sqlite3', 'NAME': url[len('sqlite:///'):]}
    parts = urlsplit(url.replace('@//cloudsql/', '@cloudsql/'))
    host = parts.hostname or ''
    if '@//cloudsql/' in url:
        host = '/cloudsql/' + url.split('@//cloudsql/', 1)[1].rsplit('/', 1)[0]
    return {'ENGINE': 'django.db.backends.postgresql', 'NAME': parts.path.rsplit('/', 1)[-1],
            'USER': unquote(parts.username or ''), 'PASSWORD': unquote(parts.password or ''), 'HOST': host,
            'PORT': str(parts.port or '')}


DATABASES = {'default': database_from_url(os.environ.get('DATABASE_URL') or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
STATIC_ROOT = BASE_DIR / 'static'
CSRF_TRUSTED_ORIGINS = [f'https://{APPENGINE_HOST}'] if APPENGINE_HOST else []
if APPENGINE_HOST:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')
    SECURE_HSTS_SECONDS = 3600
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
'''
path.write_text(text, encoding="utf-8")
print("    settings.py: SECRET_KEY, DEBUG a DATABASE_URL z prostředí, ALLOWED_HOSTS z APPENGINE_URL, HTTPS")
PY

cat > app.yaml <<YAML
runtime: python313

env_variables:
  APPENGINE_URL: $APPENGINE_URL

handlers:
- url: /static
  static_dir: static/
  secure: always
- url: /.*
  script: auto
  secure: always
YAML

cat > main.py <<PY
# App Engine starts gunicorn with main:app when app.yaml has no entrypoint.
from $PROJECT.wsgi import application

app = application
PY

cat > requirements.txt <<'REQ'
Django==5.2.19
psycopg2-binary==2.9.13
google-cloud-secret-manager==2.26.0
REQ

cat > .gcloudignore <<'IGN'
# Files that `gcloud app deploy` must not upload (App Engine's sample, plus local secrets and data).
.gcloudignore
.git
.gitignore
__pycache__/
*.pyc
.venv/
venv/
.env
*.sqlite3
media/
IGN

echo "    app.yaml, main.py, requirements.txt, .gcloudignore"
SECRET_KEY=collectstatic-only-$RANDOM DATABASE_URL="sqlite:////tmp/appengine-collectstatic.sqlite3" \
    "$PYTHON" manage.py collectstatic --noinput -v0
echo "    collectstatic → static/"
echo "==> Hotovo. Nasazení: gcloud app deploy (po vytvoření Cloud SQL a tajemství django_settings podle návodu)."
