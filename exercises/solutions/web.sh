#!/bin/bash
# Bonus „web“: jak vypadá správně nasazený živý web, který projde `./kurz web`.
#
# Na SVS to zařídí solutions/svs.sh (Caddy dělá HTTPS sám), v App Engine solutions/appengine.sh.
# Tento skript je totéž pro vlastní server s Debianem, NGINX a certifikátem od Let's Encrypt –
# pokračování kurzu po kroku 11 (projekt v /srv/my_project, gunicorn na unix:/tmp/gunicorn.sock):
#   sudo bash web.sh moje-domena.cz
# Co dělá a proč to checker chce:
#   * HTTPS s platným certifikátem (certbot) a přesměrování http:// → https:// (live.E001, E002),
#   * NGINX posílá /static/ a /media/ sám, zbytek gunicornu s hlavičkami Host a X-Forwarded-Proto
#     (Django pak ví, že spojení bylo šifrované: CSRF u přihlášení, bezpečné cookies; E007, E011),
#   * NGINX neposílá nic jiného z adresáře projektu (.env, db.sqlite3, .git; E012),
#   * nastavení pro produkci: DEBUG vypnutý, jen vlastní doména v ALLOWED_HOSTS (E005, E006),
#     HSTS bez includeSubDomains/preload, cookies jen přes HTTPS (E009, E010).
set -euo pipefail
DOMAIN=${1:?Zadejte doménu, např. sudo bash web.sh moje-domena.cz}
PROJECT_DIR=${PROJECT_DIR:-/srv/my_project}
SETTINGS=$PROJECT_DIR/my_project/settings.py
[ "$(id -u)" -eq 0 ] || { echo "CHYBA: spusťte přes sudo." >&2; exit 1; }
echo "==> Živý web $DOMAIN"

echo "==> Certifikát (certbot, ověření přes webroot)"
apt-get -o DPkg::Lock::Timeout=600 install -y -qq certbot >/dev/null
install -d /var/www/letsencrypt
cat > /etc/nginx/sites-available/my_project <<NGINX
server {
    listen 80;
    server_name $DOMAIN;
    location /.well-known/acme-challenge/ { root /var/www/letsencrypt; }
    location / { return 301 https://\$host\$request_uri; }
}
NGINX
nginx -t -q && systemctl reload nginx
certbot certonly --non-interactive --agree-tos --register-unsafely-without-email --webroot \
    -w /var/www/letsencrypt -d "$DOMAIN"

echo "==> NGINX: HTTPS, statické a nahrané soubory, proxy na gunicorn"
cat >> /etc/nginx/sites-available/my_project <<NGINX

server {
    listen 443 ssl;
    server_name $DOMAIN;
    ssl_certificate /etc/letsencrypt/live/$DOMAIN/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/$DOMAIN/privkey.pem;

    location /static/ { alias $PROJECT_DIR/static/; }
    location /media/ { alias $PROJECT_DIR/media/; }
    location / {
        proxy_pass http://unix:/tmp/gunicorn.sock;
        proxy_set_header Host \$host;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
    }
}
NGINX
ln -sf /etc/nginx/sites-available/my_project /etc/nginx/sites-enabled/my_project
nginx -t -q && systemctl reload nginx

echo "==> Nastavení pro HTTPS"
if ! grep -q '# --- live web ---' "$SETTINGS"; then
    cat >> "$SETTINGS" <<PY

# --- live web ---
DEBUG = False
ALLOWED_HOSTS = ['$DOMAIN']
SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')  # NGINX sets it, clients cannot
SECURE_HSTS_SECONDS = 3600  # raise to 31536000 once everything works; no includeSubDomains/preload
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
PY
fi
systemctl restart gunicorn
echo "==> Hotovo. Ověřte: ./kurz web --target https://$DOMAIN"
