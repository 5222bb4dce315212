#!/bin/bash
# An SVS-like account inside the course VM, for the VM tier (tests/vm/test_svs_profile.py).
#
# Runs on the VM as user vagrant (sudo works), fresh or solved state. Builds what SVS's admin
# scripts (gyarab/2022svs: avava-web, createuser.sh, avava-psql) give a student:
#   * user $SVS_USER (home 700, the VM's SSH key), no sudo,
#   * Caddy on 80/443 with `import /var/caddy.conf.d/*`; the domain's site file is avava-web's
#     template (files from /var/caddy.root.d/DOMAIN first, everything else to 127.0.0.1:PORT),
#     TLS from Caddy's internal CA (`tls internal`: no internet in the VM),
#   * /var/caddy.root.d/DOMAIN owned by the user with the placeholder index.html,
#   * PostgreSQL role+database $SVS_DB with a random password in ~/.pgpass, PGUSER in ~/.profile,
#     password login over the local socket (as on SVS),
# and then deploys the starter project as that user with the reference solution (svs.sh):
# settings_svs.py, migrate, collectstatic into the Caddy root, the user service, linger.
#
# Usage: bash svs-account.sh [--platform-only]
#   env: SVS_USER (kurz), SVS_DOMAIN (kurz.svs.test), SVS_PORT (18123), SVS_DB (db1234),
#        SVS_SOLUTION (path of svs.sh on the VM; default: next to this script, ../svs.sh)
set -euo pipefail
SVS_USER=${SVS_USER:-kurz}
SVS_DOMAIN=${SVS_DOMAIN:-kurz.svs.test}
SVS_PORT=${SVS_PORT:-18123}
SVS_DB=${SVS_DB:-db1234}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" 2>/dev/null && pwd || pwd)
SVS_SOLUTION=${SVS_SOLUTION:-$HERE/../svs.sh}
ROOT=/var/caddy.root.d/$SVS_DOMAIN
export DEBIAN_FRONTEND=noninteractive
echo "==> SVS-like account $SVS_USER, domain $SVS_DOMAIN, port $SVS_PORT, database $SVS_DB"

echo "==> Packages (caddy, postgresql)"
missing=()
for pkg in caddy postgresql curl; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> User $SVS_USER"
if ! id "$SVS_USER" >/dev/null 2>&1; then
    sudo useradd -m -s /bin/bash "$SVS_USER"
fi
sudo chmod 700 "/home/$SVS_USER"
sudo install -d -m 700 -o "$SVS_USER" -g "$SVS_USER" "/home/$SVS_USER/.ssh"
sudo install -m 600 -o "$SVS_USER" -g "$SVS_USER" /home/vagrant/.ssh/authorized_keys "/home/$SVS_USER/.ssh/authorized_keys"

echo "==> Caddy: /etc/caddy/Caddyfile imports /var/caddy.conf.d/*"
sudo install -d -m 755 /var/caddy.conf.d /var/caddy.root.d
sudo tee /etc/caddy/Caddyfile >/dev/null <<'CADDY'
{
    skip_install_trust
}
import /var/caddy.conf.d/*
CADDY
sudo tee "/var/caddy.conf.d/$SVS_DOMAIN" >/dev/null <<CADDY
$SVS_DOMAIN {
    tls internal
    root * /var/caddy.root.d/$SVS_DOMAIN
    @notStatic {
        not file {
            try_files {path} {path}/index.html
        }
    }
    reverse_proxy @notStatic 127.0.0.1:$SVS_PORT
    file_server
}
CADDY
sudo chmod 644 "/var/caddy.conf.d/$SVS_DOMAIN"
if [ ! -d "$ROOT" ]; then
    sudo install -d -m 755 -o "$SVS_USER" -g "$SVS_USER" "$ROOT"
    sudo -u "$SVS_USER" tee "$ROOT/index.html" >/dev/null <<'HTML'
<!DOCTYPE html>
<html lang="en">
<head>
    <title>Výchozí stránka AVAVA</title>
    <meta charset="UTF-8">
</head>
<body>
    <main>
        <h1>Vaše stánka funguje :)</h1>
        <p>Tento soubor můžete upravit nebo smazat v <code id=x></code>
    </main>
</body>
</html>
HTML
fi
sudo systemctl enable -q caddy
sudo systemctl restart caddy

echo "==> PostgreSQL: role and database $SVS_DB"
sudo systemctl enable -q --now postgresql
HBA=$(sudo -u postgres psql -XAtqc 'show hba_file')
if ! sudo grep -q "^local *$SVS_DB *$SVS_DB" "$HBA"; then
    # SVS logs in with the password from ~/.pgpass over the local socket (peer would refuse: the
    # Linux user is not called dbNNNN). The line must come before the default "local all all peer".
    sudo sed -i "0,/^local/s//local   $SVS_DB   $SVS_DB   scram-sha-256\n&/" "$HBA"
    sudo systemctl reload postgresql
fi
if [ -z "$(sudo -u postgres psql -XAtqc "select 1 from pg_roles where rolname = '$SVS_DB'")" ]; then
    PASS=$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
    sudo -u postgres psql -Xq -v ON_ERROR_STOP=1 -c "create role $SVS_DB login password '$PASS'" \
        -c "create database $SVS_DB owner $SVS_DB" -c "revoke all on database $SVS_DB from public"
    sudo -u postgres psql -Xq -d "$SVS_DB" -c "alter schema public owner to $SVS_DB"
    printf 'localhost:*:*:%s:%s\n' "$SVS_DB" "$PASS" | sudo -u "$SVS_USER" tee "/home/$SVS_USER/.pgpass" >/dev/null
    sudo chmod 600 "/home/$SVS_USER/.pgpass"
    echo "export PGUSER=$SVS_DB" | sudo -u "$SVS_USER" tee -a "/home/$SVS_USER/.profile" >/dev/null
fi

if [ "${1:-}" = "--platform-only" ]; then
    echo "==> Platform ready (no deployment)"
    exit 0
fi

echo "==> The starter project in /home/$SVS_USER/my_project"
if [ ! -f "/home/$SVS_USER/my_project/manage.py" ]; then
    sudo install -d -m 755 -o "$SVS_USER" -g "$SVS_USER" "/home/$SVS_USER/my_project"
    sudo tar -C /srv/my_project --exclude=.venv --exclude=./static --exclude=db.sqlite3 --exclude=.git \
        --exclude=secret_key.txt -cf - . | sudo -u "$SVS_USER" tar -C "/home/$SVS_USER/my_project" -xf -
fi
sudo install -m 644 "$SVS_SOLUTION" /tmp/svs-solution.sh

echo "==> Deployment as $SVS_USER (solutions/svs.sh)"
# A login session of the account (as SSH gives it): its systemd user manager must be running.
sudo loginctl enable-linger "$SVS_USER"
uid=$(id -u "$SVS_USER")
for _ in $(seq 50); do [ -S "/run/user/$uid/bus" ] && break; sleep 0.2; done
sudo -u "$SVS_USER" env -C "/home/$SVS_USER/my_project" HOME="/home/$SVS_USER" XDG_RUNTIME_DIR="/run/user/$uid" \
    DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" PORT="$SVS_PORT" bash /tmp/svs-solution.sh "$SVS_DOMAIN"
for _ in $(seq 60); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' --resolve "$SVS_DOMAIN:443:127.0.0.1" "https://$SVS_DOMAIN/" || true)
    [ "$code" = 200 ] && break
    sleep 0.5
done
echo "GET https://$SVS_DOMAIN/ through Caddy: $code"
[ "$code" = 200 ]
