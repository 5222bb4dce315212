#!/bin/bash
# The same deployment with the project in /var/www/my_project (a fresh venv there, because a
# venv cannot be moved), and nothing left in /srv/my_project.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: projekt v /var/www/my_project"
move_project /var/www/my_project
