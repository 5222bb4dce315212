#!/bin/bash
# Krok 11: celá cesta požadavku. Nic nového: restartujeme služby a počkáme, až web přes
# NGINX → gunicorn → Django → PostgreSQL odpoví 200 a NGINX pošle i statický soubor.
set -euo pipefail
echo "==> Krok 11: celá cesta požadavku"
sudo systemctl restart postgresql gunicorn nginx
for _ in $(seq 60); do
    code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/ || true)
    [ "$code" = 200 ] && break
    sleep 0.5
done
echo "GET http://127.0.0.1/: $code"
[ "$code" = 200 ]
static=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/static/galerie/styl.css)
media=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/media/obrazky/ukazka.svg)
admin=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/admin/login/)
echo "statický soubor: $static, nahraný soubor: $media, administrace: $admin"
[ "$static" = 200 ] && [ "$media" = 200 ] && [ "$admin" = 200 ]
