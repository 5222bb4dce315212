#!/bin/bash
# `make start`: Python environment, the book, the course VM, and the course status.
source "$(dirname "$0")/lib.sh"
cd "$REPO"
python_env requirements.txt
PY="$VENV/bin/python"

say "Sestavuji knihu kurzu"
"$PY" -m checkers book

vagrant_usable() {
  command -v vagrant >/dev/null || return 1
  command -v VBoxManage >/dev/null && return 0
  vagrant plugin list 2>/dev/null | grep -q vagrant-libvirt && virsh -c qemu:///system version >/dev/null 2>&1
}

if vagrant_usable; then
  say "Spouštím kurzový stroj přes Vagrant (vagrant up)"
  vagrant up
  "$PY" -m checkers target vagrant
else
  say "Vagrant s VirtualBoxem ani libvirtem tu není – spouštím kurzový stroj přes QEMU (./kurz lab up)"
  apt_install qemu-system-x86 qemu-utils debootstrap e2fsprogs dpkg-dev openssh-client rsync
  as_root "$PY" -m lab up
  "$PY" -m checkers target lab
fi

say "Stav kurzu"
"$PY" -m checkers step0 || true
"$PY" -m checkers
