#!/bin/bash
# Krok 0: příprava. Stroj a výchozí projekt připravil `vagrant up`; tady jen ověříme,
# že projekt je na svém místě a jde spustit. Nic se nemění.
set -euo pipefail
cd /srv/my_project
echo "==> Krok 0: výchozí projekt v /srv/my_project"
test -x .venv/bin/python
.venv/bin/python manage.py check
git log --oneline -1
