#!/bin/bash
# Krok 8: aplikační server gunicorn, spuštěný ručně z adresáře projektu (na pozadí, s PID
# souborem /tmp/gunicorn.pid, aby ho krok 9 mohl zastavit).
set -euo pipefail
cd /srv/my_project
echo "==> Krok 8: gunicorn"
.venv/bin/pip install -q gunicorn
if systemctl is-active --quiet gunicorn 2>/dev/null; then
    echo "gunicorn už běží jako služba systemd (krok 9), ruční spuštění není potřeba."
elif [ -f /tmp/gunicorn.pid ] && kill -0 "$(cat /tmp/gunicorn.pid)" 2>/dev/null; then
    echo "gunicorn už běží (PID $(cat /tmp/gunicorn.pid))."
else
    .venv/bin/gunicorn --workers 3 --bind unix:/tmp/gunicorn.sock my_project.wsgi:application \
        --daemon --pid /tmp/gunicorn.pid --error-logfile /tmp/gunicorn.log
fi
for _ in $(seq 60); do
    code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/ || true)
    [ "$code" = 200 ] && break
    sleep 0.5
done
echo "GET http://127.0.0.1/ přes NGINX: $code"
[ "$code" = 200 ]
