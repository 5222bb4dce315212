#!/bin/bash
# Krok 6: kontrola nasazení. Jen spustí `check --deploy` a nic nemění; zbylá varování
# se týkají HTTPS, které kurzový stroj nemá.
set -euo pipefail
cd /srv/my_project
echo "==> Krok 6: manage.py check --deploy"
.venv/bin/python manage.py check --deploy
