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
