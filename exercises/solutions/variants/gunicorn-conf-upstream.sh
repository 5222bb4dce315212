#!/bin/bash
# gunicorn reads bind and workers from its own config file (/etc/gunicorn/my_project.py), the
# unit only says `gunicorn -c FILE my_project.wsgi`, systemd creates /run/gunicorn for the socket
# (RuntimeDirectory=), and nginx proxies to a named `upstream app_server { … }` block.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: gunicorn.conf.py a upstream v NGINX"
sudo install -d -m 755 /etc/gunicorn
sudo tee /etc/gunicorn/my_project.py >/dev/null <<'PY'
# gunicorn settings (read with `gunicorn -c /etc/gunicorn/my_project.py`)
bind = "unix:/run/gunicorn/gunicorn.sock"
workers = 3
PY
sudo tee /etc/systemd/system/gunicorn.service >/dev/null <<'UNIT'
[Unit]
Description=gunicorn daemon for Django project
After=network.target

[Service]
User=www-data
Group=www-data
RuntimeDirectory=gunicorn
WorkingDirectory=/srv/my_project
ExecStart=/srv/my_project/.venv/bin/gunicorn -c /etc/gunicorn/my_project.py my_project.wsgi
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
site=/etc/nginx/sites-available/my_project
sudo sed -i 's|proxy_pass http://unix:/tmp/gunicorn.sock;|proxy_pass http://app_server;|' "$site"
if ! grep -q '^upstream app_server' "$site"; then
    { printf 'upstream app_server {\n    server unix:/run/gunicorn/gunicorn.sock fail_timeout=0;\n}\n\n'; sudo cat "$site"; } \
        | sudo tee "$site.new" >/dev/null
    sudo mv "$site.new" "$site"
fi
grep -q 'proxy_set_header Host \$http_host;' "$site"
sudo systemctl daemon-reload
sudo systemctl restart gunicorn
sudo rm -f /tmp/gunicorn.sock
reload_nginx
wait_for_site
