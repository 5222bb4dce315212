#!/bin/bash
# `make test`: install what the suite needs, then run every tier (unit, probe, browser, vm).
source "$(dirname "$0")/lib.sh"
cd "$REPO"
apt_install $(grep -v '^#' scripts/apt-packages-test.txt)
python_env requirements-dev.txt
mkdir -p tests/artifacts
say "Spouštím testy (všechny vrstvy)"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider --junitxml=tests/artifacts/junit.xml "$@"
