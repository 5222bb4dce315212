#!/bin/bash
# Krok 1: vypnutí ladicího režimu (DEBUG = False) v my_project/settings.py.
set -euo pipefail
cd /srv/my_project
echo "==> Krok 1: DEBUG = False"
sed -i 's/^DEBUG = True$/DEBUG = False/' my_project/settings.py
grep -qx 'DEBUG = False' my_project/settings.py
