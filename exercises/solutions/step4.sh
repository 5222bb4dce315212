#!/bin/bash
# Krok 4: MEDIA_ROOT – kam Django ukládá soubory nahrané uživateli.
set -euo pipefail
cd /srv/my_project
echo "==> Krok 4: MEDIA_ROOT = BASE_DIR / 'media'"
grep -q '^MEDIA_ROOT' my_project/settings.py \
    || sed -i "/^MEDIA_URL = /a MEDIA_ROOT = BASE_DIR / 'media'" my_project/settings.py
mkdir -p media
