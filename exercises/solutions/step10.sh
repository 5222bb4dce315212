#!/bin/bash
# Krok 10: databáze PostgreSQL. Heslo databázového uživatele se vygeneruje do souboru
# db_password.txt (mimo git) a settings.py ho odtud načte. Heslo se nikdy nevypisuje.
set -euo pipefail
cd /srv/my_project
echo "==> Krok 10: PostgreSQL"
export DEBIAN_FRONTEND=noninteractive
sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
sudo -E apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >/dev/null
sudo systemctl enable --quiet --now postgresql
if [ ! -s db_password.txt ]; then
    (umask 027 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))' > db_password.txt)
fi
sudo chgrp www-data db_password.txt
chmod 640 db_password.txt
grep -qx 'db_password.txt' .gitignore || echo 'db_password.txt' >> .gitignore
# SQL jde přes standardní vstup, takže heslo není vidět ani v seznamu procesů.
sudo -u postgres psql -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT 'CREATE ROLE myprojectuser LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'myprojectuser')\gexec
ALTER ROLE myprojectuser WITH LOGIN PASSWORD '$(cat db_password.txt)';
SELECT 'CREATE DATABASE myproject OWNER myprojectuser' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'myproject')\gexec
ALTER DATABASE myproject OWNER TO myprojectuser;
GRANT ALL PRIVILEGES ON DATABASE myproject TO myprojectuser;
SQL
.venv/bin/pip install -q psycopg2-binary
.venv/bin/python - <<'PY'
import re
from pathlib import Path

path = Path("my_project/settings.py")
text = path.read_text()
new = """DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': 'myproject',
        'USER': 'myprojectuser',
        'PASSWORD': (BASE_DIR / 'db_password.txt').read_text().strip(),
        'HOST': 'localhost',
        'PORT': '',
    }
}
"""
text, n = re.subn(r"^DATABASES = \{\n.*?^\}\n", new, text, count=1, flags=re.M | re.S)
if n != 1:
    raise SystemExit("settings.py: blok DATABASES jsem nenašel")
path.write_text(text)
PY
.venv/bin/python manage.py migrate --noinput
if systemctl list-unit-files gunicorn.service >/dev/null 2>&1 && systemctl is-enabled --quiet gunicorn 2>/dev/null; then
    sudo systemctl restart gunicorn
fi
