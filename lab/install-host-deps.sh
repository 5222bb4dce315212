#!/bin/bash
# Host packages for the course VM (Debian/Ubuntu host, run as root; idempotent).
#   bash lab/install-host-deps.sh            QEMU path: build the offline image, run it (./kurz lab)
#   bash lab/install-host-deps.sh --vagrant  + Vagrant with the libvirt provider (the end-to-end test,
#                                            or a classroom that uses the offline box)
set -euo pipefail
PKGS=(qemu-system-x86 qemu-utils debootstrap e2fsprogs openssh-client dpkg-dev apt-utils ca-certificates)
if [ "${1:-}" = "--vagrant" ]; then
    PKGS+=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
           dnsmasq-base iptables)
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Spusťte jako root: sudo bash $0 $*" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "Tento skript umí jen Debian a Ubuntu (apt-get). Nainstalujte ručně: ${PKGS[*]}" >&2
    exit 1
fi
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "Všechny potřebné balíčky už jsou nainstalované."
    exit 0
fi
echo "Instaluji: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Hotovo."
