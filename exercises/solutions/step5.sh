#!/bin/bash
# Krok 5: nový tajný klíč v souboru secret_key.txt (mimo git), settings.py ho jen načte.
# Klíč se nikdy nevypisuje.
set -euo pipefail
cd /srv/my_project
echo "==> Krok 5: SECRET_KEY ze souboru secret_key.txt"
if [ ! -s secret_key.txt ]; then
    (umask 027 && .venv/bin/python -c 'from django.core.management.utils import get_random_secret_key; print(get_random_secret_key())' > secret_key.txt)
fi
chmod 640 secret_key.txt
grep -qx 'secret_key.txt' .gitignore || echo 'secret_key.txt' >> .gitignore
sed -i "s|^SECRET_KEY = .*|SECRET_KEY = (BASE_DIR / 'secret_key.txt').read_text().strip()|" my_project/settings.py
grep -qx "SECRET_KEY = (BASE_DIR / 'secret_key.txt').read_text().strip()" my_project/settings.py
.venv/bin/python manage.py check
