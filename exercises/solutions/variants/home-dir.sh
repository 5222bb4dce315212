#!/bin/bash
# The project in the user's home, /home/vagrant/my_project (a fresh venv there, because a venv
# cannot be moved). www-data may pass through /home/vagrant (mode 711) but not list it.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: projekt v /home/vagrant/my_project"
NEW=/home/vagrant/my_project
sudo systemctl stop gunicorn
sudo cp -a /srv/my_project "$NEW"
sudo rm -rf "$NEW/.venv"
sudo chown vagrant:vagrant "$NEW"
chmod 711 /home/vagrant
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
