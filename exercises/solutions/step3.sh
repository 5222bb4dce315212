#!/bin/bash
# Krok 3: STATIC_ROOT a collectstatic – statické soubory posbírané do jednoho adresáře.
set -euo pipefail
cd /srv/my_project
echo "==> Krok 3: STATIC_ROOT = BASE_DIR / 'static' a collectstatic"
grep -q '^STATIC_ROOT' my_project/settings.py \
    || sed -i "/^STATIC_URL = /a STATIC_ROOT = BASE_DIR / 'static'" my_project/settings.py
.venv/bin/python manage.py collectstatic --noinput
