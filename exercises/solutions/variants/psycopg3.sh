#!/bin/bash
# The PostgreSQL driver is psycopg 3 (`psycopg[binary]`) instead of psycopg2-binary; Django's
# engine name stays django.db.backends.postgresql. pip installs from the VM's wheelhouse.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: ovladač psycopg 3"
cd /srv/my_project
.venv/bin/pip install -q 'psycopg[binary]'
.venv/bin/pip uninstall -q -y psycopg2-binary
.venv/bin/python -c 'import psycopg; print("psycopg", psycopg.__version__)'
! .venv/bin/python -c 'import psycopg2' 2>/dev/null
sudo systemctl restart gunicorn
wait_for_site
