#!/bin/bash
# Krok 7: webový server NGINX s konfigurací webu podle lekce.
set -euo pipefail
echo "==> Krok 7: NGINX"
export DEBIAN_FRONTEND=noninteractive
sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
sudo -E apt-get -o DPkg::Lock::Timeout=600 install -y -qq nginx >/dev/null
sudo tee /etc/nginx/sites-available/my_project >/dev/null <<'NGINX'
server {
    listen 80;
    server_name 127.0.0.1 localhost;

    # velikost nahrávaného souboru (výchozí je jen 1 MB)
    client_max_body_size 10m;

    location / {
        proxy_pass http://unix:/tmp/gunicorn.sock;
        proxy_set_header Host $http_host;  # i s portem 8080, jinak CSRF odmítne formuláře
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
    }

    location /static/ {
        alias /srv/my_project/static/;
    }

    location /media/ {
        alias /srv/my_project/media/;
    }
}
NGINX
sudo ln -sfn /etc/nginx/sites-available/my_project /etc/nginx/sites-enabled/my_project
sudo rm -f /etc/nginx/sites-enabled/default   # výchozí web by nám jen překážel
sudo nginx -t
sudo systemctl enable --quiet nginx
sudo systemctl restart nginx
