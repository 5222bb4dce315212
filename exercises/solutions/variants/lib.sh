# Helpers shared by the variant scripts (sourced; runs on the VM as user vagrant).
set -euo pipefail

wait_for_site() {
    local code=
    for _ in $(seq 90); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: 127.0.0.1' http://127.0.0.1/ || true)
        [ "$code" = 200 ] && return 0
        sleep 0.5
    done
    echo "GET / přes NGINX vrací $code" >&2
    return 1
}

reload_nginx() {
    sudo nginx -t -q
    sudo systemctl reload nginx
}

# move_project NEW: the solved project moved from /srv/my_project to NEW with a fresh venv there
# (a venv cannot be moved), the unit and the nginx site pointed at it, nothing left behind.
move_project() {
    local new=$1
    sudo systemctl stop gunicorn
    sudo mkdir -p "$(dirname "$new")"
    sudo cp -a /srv/my_project "$new"
    sudo rm -rf "$new/.venv"
    sudo chown vagrant:vagrant "$new"
    (
        cd "$new"
        python3 -m venv .venv
        .venv/bin/pip install -q -r requirements.txt gunicorn psycopg2-binary
        .venv/bin/python manage.py collectstatic --noinput -v0
    )
    sudo sed -i "s|/srv/my_project|$new|g" /etc/systemd/system/gunicorn.service /etc/nginx/sites-available/my_project
    sudo rm -rf /srv/my_project
    sudo systemctl daemon-reload
    sudo systemctl start gunicorn
    reload_nginx
    wait_for_site
}
