#!/bin/bash
# Krok 9: gunicorn jako služba systemd (uživatel www-data), která se sama spustí po startu
# stroje a po pádu se znovu zvedne.
set -euo pipefail
cd /srv/my_project
echo "==> Krok 9: služba gunicorn.service"
# Ručně spuštěný gunicorn z kroku 8 zastavíme; jeho soket patří uživateli vagrant.
if [ -f /tmp/gunicorn.pid ]; then
    pid=$(cat /tmp/gunicorn.pid)
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f /tmp/gunicorn.pid
fi
if ! systemctl is-active --quiet gunicorn && [ -e /tmp/gunicorn.sock ]; then
    sudo rm -f /tmp/gunicorn.sock
fi
unit=$(cat <<'UNIT'
[Unit]
Description=gunicorn daemon for Django project
After=network.target

[Service]
User=www-data
Group=www-data
WorkingDirectory=/srv/my_project
ExecStart=/srv/my_project/.venv/bin/gunicorn --workers 3 --bind unix:/tmp/gunicorn.sock my_project.wsgi:application
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
)
changed=0
if [ "$(cat /etc/systemd/system/gunicorn.service 2>/dev/null)" != "$unit" ]; then
    printf '%s\n' "$unit" | sudo tee /etc/systemd/system/gunicorn.service >/dev/null
    changed=1
fi
# Služba běží jako www-data: musí smět zapisovat do MEDIA_ROOT a číst tajný klíč.
sudo chown -R www-data:www-data /srv/my_project/media
if [ -f secret_key.txt ]; then sudo chgrp www-data secret_key.txt; chmod 640 secret_key.txt; fi
sudo systemctl daemon-reload
sudo systemctl enable --now gunicorn
if [ "$changed" = 1 ]; then sudo systemctl restart gunicorn; fi
for _ in $(seq 60); do
    code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/ || true)
    [ "$code" = 200 ] && break
    sleep 0.5
done
echo "GET http://127.0.0.1/ přes NGINX: $code"
[ "$code" = 200 ]
