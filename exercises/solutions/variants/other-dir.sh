#!/bin/bash
# The same deployment with the project in /var/www/my_project (a fresh venv there, because a
# venv cannot be moved), and nothing left in /srv/my_project.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: projekt v /var/www/my_project"
NEW=/var/www/my_project
sudo systemctl stop gunicorn
sudo mkdir -p /var/www
sudo cp -a /srv/my_project "$NEW"
sudo rm -rf "$NEW/.venv"
sudo chown vagrant:vagrant "$NEW"
cd "$NEW"
python3 -m venv .venv
.venv/bin/pip install -q -r requirements.txt gunicorn psycopg2-binary
.venv/bin/python manage.py collectstatic --noinput -v0
sudo sed -i "s|/srv/my_project|$NEW|g" /etc/systemd/system/gunicorn.service /etc/nginx/sites-available/my_project
sudo rm -rf /srv/my_project
sudo systemctl daemon-reload
sudo systemctl start gunicorn
reload_nginx
wait_for_site
