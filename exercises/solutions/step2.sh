#!/bin/bash
# Krok 2: ALLOWED_HOSTS – adresy, na které web odpovídá (na kurzovém stroji 127.0.0.1 a localhost).
set -euo pipefail
cd /srv/my_project
echo "==> Krok 2: ALLOWED_HOSTS = ['127.0.0.1', 'localhost']"
sed -i "s/^ALLOWED_HOSTS = .*/ALLOWED_HOSTS = ['127.0.0.1', 'localhost']/" my_project/settings.py
grep -qx "ALLOWED_HOSTS = \['127.0.0.1', 'localhost'\]" my_project/settings.py
