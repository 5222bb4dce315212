#!/bin/bash
# gunicorn listens on a TCP port on loopback (127.0.0.1:8000) instead of a unix socket.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: gunicorn na 127.0.0.1:8000"
sudo sed -i 's|--bind unix:/tmp/gunicorn.sock|--bind 127.0.0.1:8000|' /etc/systemd/system/gunicorn.service
sudo sed -i 's|proxy_pass http://unix:/tmp/gunicorn.sock;|proxy_pass http://127.0.0.1:8000;|' /etc/nginx/sites-available/my_project
sudo systemctl daemon-reload
sudo systemctl restart gunicorn
reload_nginx
wait_for_site
