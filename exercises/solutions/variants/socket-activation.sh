#!/bin/bash
# gunicorn.socket on /run/gunicorn.sock starts gunicorn.service on the first request
# (the well-known DigitalOcean recipe). Only the socket is enabled.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: gunicorn.socket (socket activation)"
sudo systemctl disable --now gunicorn.service >/dev/null 2>&1 || true
sudo tee /etc/systemd/system/gunicorn.socket >/dev/null <<'UNIT'
[Unit]
Description=gunicorn socket

[Socket]
ListenStream=/run/gunicorn.sock

[Install]
WantedBy=sockets.target
UNIT
sudo tee /etc/systemd/system/gunicorn.service >/dev/null <<'UNIT'
[Unit]
Description=gunicorn daemon
Requires=gunicorn.socket
After=network.target

[Service]
User=www-data
Group=www-data
WorkingDirectory=/srv/my_project
ExecStart=/srv/my_project/.venv/bin/gunicorn --access-logfile - --workers 3 --bind unix:/run/gunicorn.sock my_project.wsgi:application
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
sudo systemctl daemon-reload
sudo systemctl enable --now gunicorn.socket
sudo sed -i 's|proxy_pass http://unix:/tmp/gunicorn.sock;|proxy_pass http://unix:/run/gunicorn.sock;|' /etc/nginx/sites-available/my_project
reload_nginx
wait_for_site
