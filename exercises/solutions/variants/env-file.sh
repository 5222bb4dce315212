#!/bin/bash
# SECRET_KEY read from the environment, which systemd fills from an EnvironmentFile readable
# only by root and the service's group. The key is never printed.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: SECRET_KEY z EnvironmentFile služby"
cd /srv/my_project
sudo install -d -m 750 -o root -g www-data /etc/my_project
if [ -f secret_key.txt ]; then
    { printf 'DJANGO_SECRET_KEY='; cat secret_key.txt; } | sudo tee /etc/my_project/env >/dev/null
    rm -f secret_key.txt
fi
sudo chgrp www-data /etc/my_project/env
sudo chmod 640 /etc/my_project/env
grep -q '^import os$' my_project/settings.py || sed -i '1i import os' my_project/settings.py
sed -i "s|^SECRET_KEY = .*|SECRET_KEY = os.environ['DJANGO_SECRET_KEY']|" my_project/settings.py
sudo install -d /etc/systemd/system/gunicorn.service.d
printf '[Service]\nEnvironmentFile=/etc/my_project/env\n' | sudo tee /etc/systemd/system/gunicorn.service.d/env.conf >/dev/null
sudo systemctl daemon-reload
sudo systemctl restart gunicorn
wait_for_site
