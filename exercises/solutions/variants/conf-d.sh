#!/bin/bash
# The nginx site as /etc/nginx/conf.d/my_project.conf (included by nginx.conf) instead of
# sites-available + a link in sites-enabled.
source "$(dirname "$0")/lib.sh"
echo "==> Varianta: web v /etc/nginx/conf.d"
sudo mv /etc/nginx/sites-available/my_project /etc/nginx/conf.d/my_project.conf
sudo rm -f /etc/nginx/sites-enabled/my_project
reload_nginx
wait_for_site
