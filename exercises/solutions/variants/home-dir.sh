#!/bin/bash
# The project in the user's home, /home/vagrant/my_project (a fresh venv there, because a venv
# cannot be moved). www-data may pass through /home/vagrant (mode 711) but not list it.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: projekt v /home/vagrant/my_project"
chmod 711 /home/vagrant
move_project /home/vagrant/my_project
