#!/bin/bash
# Builds the course VM image from Debian packages. Driven by `python -m lab build` (lab/build.py),
# which picks the directories, checks the host first, shows progress and renames the finished
# directory into the cache atomically. Run as root. Lines "@@STAGE <id>" mark progress.
#
# Inputs (environment):
#   OUT      empty build directory (becomes the cache entry)
#   CACHE    persistent cache: $CACHE/debs (debootstrap), $CACHE/repo-debs (local apt repo .debs)
#   WHEELS   directory with the wheelhouse already downloaded by build.py
#   REPO     repository root (exercises/starter, exercises/provision.sh)
#   MIRROR   Debian mirror (the one the host's apt uses)
#   KEYS     file with the public keys for vagrant's authorized_keys (generated key + Vagrant's)
# Outputs in $OUT: rootfs/, disk.qcow2, vmlinuz, initrd.img, apt-repo.txt, kernel-version.txt
set -euo pipefail
OUT=${1:-${OUT:-}}  # the build directory is also the first argument (visible in ps)
: "${OUT:?}" "${CACHE:?}" "${WHEELS:?}" "${REPO:?}" "${MIRROR:?}" "${KEYS:?}"

SUITE=bookworm
HOSTNAME_=kurz-django
DISK_SIZE=8G
# Base system: what a Vagrant Debian box has plus what the course needs to provision the starter.
INCLUDE=systemd-sysv,dbus,libpam-systemd,udev,kmod,iproute2,openssh-server,sudo,linux-image-amd64,\
initramfs-tools,python3,python3-venv,git,curl,ca-certificates,less,nano,procps,netbase,bash-completion,\
apt-utils,locales,logrotate,xz-utils
# Packages the lesson installs with apt: they go into the local apt repository (with all their
# dependencies that are not installed yet), so `sudo apt install nginx` works offline.
REPO_PACKAGES=(nginx postgresql caddy)

export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
R=$OUT/rootfs
stage() { echo "@@STAGE $1"; }

MOUNTS=()
mount_chroot() {
    mount -t proc proc "$R/proc"; MOUNTS+=("$R/proc")
    mount -t sysfs sysfs "$R/sys"; MOUNTS+=("$R/sys")
    mount --bind /dev "$R/dev"; MOUNTS+=("$R/dev")
    mount -t devpts devpts "$R/dev/pts" -o newinstance,ptmxmode=0666; MOUNTS+=("$R/dev/pts")
}
umount_chroot() {
    local i
    for ((i=${#MOUNTS[@]}-1; i>=0; i--)); do umount -l "${MOUNTS[i]}" 2>/dev/null || true; done
    MOUNTS=()
}
trap umount_chroot EXIT
# Commands in the new system get a clean environment (the host's PIP_*, PYTHON* etc. stay out).
CHROOT_ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
            LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive)
for v in http_proxy https_proxy no_proxy; do [ -n "${!v:-}" ] && CHROOT_ENV+=("$v=${!v}"); done
in_root() { chroot "$R" /usr/bin/env -i "${CHROOT_ENV[@]}" "$@"; }

# ---------------------------------------------------------------------------------------------
stage debootstrap
mkdir -p "$CACHE/debs" "$CACHE/repo-debs" "$CACHE/base"
# The bare debootstrap result is cached as a tarball (keyed on suite, mirror and package list,
# at most a week old), so a change of the starter or of provisioning rebuilds in about 30 s.
BASE_TAR=$CACHE/base/$(printf '%s\n' "$SUITE" "$MIRROR" "$INCLUDE" base-v1 | sha256sum | cut -c1-16).tar
find "$CACHE/base" -name '*.tar' -mtime +7 -delete
if [ -f "$BASE_TAR" ]; then
    mkdir -p "$R"
    tar -C "$R" --numeric-owner --xattrs --xattrs-include='*' -xpf "$BASE_TAR"
    echo "reused $BASE_TAR" > "$OUT/debootstrap.log"
else
    debootstrap --variant=minbase --cache-dir="$CACHE/debs" --include="$INCLUDE" \
        "$SUITE" "$R" "$MIRROR" > "$OUT/debootstrap.log" 2>&1 \
        || { tail -n 30 "$OUT/debootstrap.log" >&2; exit 1; }
    tar -C "$R" --numeric-owner --xattrs --xattrs-include='*' -cpf "$BASE_TAR.tmp" . \
        && mv "$BASE_TAR.tmp" "$BASE_TAR"
    find "$CACHE/base" -name '*.tar' ! -path "$BASE_TAR" -delete
fi

# ---------------------------------------------------------------------------------------------
stage configure
mount_chroot
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
echo "$HOSTNAME_" > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost ip6-localhost ip6-loopback\n' "$HOSTNAME_" > "$R/etc/hosts"
echo '/dev/vda / ext4 defaults,noatime 0 1' > "$R/etc/fstab"
echo 'LANG=C.UTF-8' > "$R/etc/default/locale"
mkdir -p "$R/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' > "$R/etc/systemd/network/10-dhcp.network"
in_root systemctl enable systemd-networkd.service >/dev/null 2>&1
# No clock sync or periodic apt/maintenance jobs: the VM has no internet, and they cost CPU under TCG.
in_root systemctl mask systemd-networkd-wait-online.service systemd-timesyncd.service \
    apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer >/dev/null 2>&1
# User vagrant, as on a Vagrant box: password "vagrant", passwordless sudo.
in_root useradd -m -s /bin/bash -G sudo vagrant
echo 'vagrant:vagrant' | in_root chpasswd
echo 'vagrant ALL=(ALL) NOPASSWD:ALL' > "$R/etc/sudoers.d/vagrant"; chmod 440 "$R/etc/sudoers.d/vagrant"
install -d -m 700 -o 1000 -g 1000 "$R/home/vagrant/.ssh"
install -m 600 -o 1000 -g 1000 "$KEYS" "$R/home/vagrant/.ssh/authorized_keys"
printf 'UseDNS no\n' > "$R/etc/ssh/sshd_config.d/10-kurz.conf"
cat > "$R/etc/motd" <<'EOF'

Kurzový stroj „Django v produkci“ (Debian 12).
Projekt je v /srv/my_project, jeho virtuální prostředí v /srv/my_project/.venv.
Balíčky (apt) i knihovny (pip) se instalují z místních skladů, internet není potřeba.

EOF
# Small initramfs (about 6 MB instead of 36 MB): only virtio and ext4.
sed -i 's/^MODULES=.*/MODULES=list/' "$R/etc/initramfs-tools/initramfs.conf"
printf 'virtio_pci\nvirtio_blk\nvirtio_net\next4\ncrc32c_generic\n' >> "$R/etc/initramfs-tools/modules"
in_root update-initramfs -u -k all >/dev/null 2>&1

# ---------------------------------------------------------------------------------------------
stage aptrepo
echo "deb $MIRROR $SUITE main" > "$R/etc/apt/sources.list"
in_root apt-get clean
in_root apt-get -o Acquire::Retries=3 update -qq
# The packages each lesson command would install on top of the base system (one at a time, as
# the student runs them: the union of these sets is what the repository must hold).
: > "$OUT/apt-repo.txt"
for pkg in "${REPO_PACKAGES[@]}"; do
    in_root apt-get install -s -y "$pkg" | awk '/^Inst /{v=($3 ~ /^\[/) ? $4 : $3; gsub(/[()]/,"",v); print $2, v}' >> "$OUT/apt-repo.txt"
done
sort -u -o "$OUT/apt-repo.txt" "$OUT/apt-repo.txt"
# Reuse .debs from earlier builds; apt checks their hashes and downloads only what is missing.
find "$CACHE/repo-debs" -name '*.deb' -exec cp -t "$R/var/cache/apt/archives/" {} + 2>/dev/null || true
for pkg in "${REPO_PACKAGES[@]}"; do
    in_root apt-get install -y -qq --download-only -o Acquire::Retries=3 "$pkg" >/dev/null
done
cp -u "$R"/var/cache/apt/archives/*.deb "$CACHE/repo-debs/"
A=$R/opt/kurz/apt
mkdir -p "$A"
while read -r name version; do
    f=$(ls "$R/var/cache/apt/archives/${name}_${version//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    [ -n "$f" ] || { echo "missing .deb for $name $version" >&2; exit 1; }
    cp "$f" "$A/"
done < "$OUT/apt-repo.txt"
(cd "$A" && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null && gzip -9kf Packages)
python3 - "$A" <<'PY'
import hashlib, sys, time
from pathlib import Path
a = Path(sys.argv[1])
lines = ["Origin: Kurz Django v produkci", "Label: kurz", "Suite: kurz", "Codename: kurz",
         "Architectures: amd64 all", "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime()),
         "Description: Offline packages for the course VM"]
for algo, title in (("md5", "MD5Sum"), ("sha256", "SHA256")):
    lines.append(title + ":")
    for name in ("Packages", "Packages.gz"):
        data = (a / name).read_bytes()
        lines.append(f" {hashlib.new(algo, data).hexdigest()} {len(data)} {name}")
(a / "Release").write_text("\n".join(lines) + "\n")
PY
# The local repository is the ONLY apt source of the VM.
rm -f "$R/etc/apt/sources.list"
echo 'deb [trusted=yes] file:/opt/kurz/apt ./' > "$R/etc/apt/sources.list.d/kurz.list"
in_root apt-get clean
rm -rf "$R"/var/lib/apt/lists/*
in_root apt-get update -qq
# Prove the lesson's commands will find everything they need.
for pkg in "${REPO_PACKAGES[@]}"; do
    in_root apt-get install -s -y "$pkg" >/dev/null
done

# ---------------------------------------------------------------------------------------------
stage wheels
mkdir -p "$R/opt/kurz/wheels"
cp "$WHEELS"/* "$R/opt/kurz/wheels/"
printf '[global]\nno-index = true\nfind-links = /opt/kurz/wheels\ndisable-pip-version-check = true\n' > "$R/etc/pip.conf"

# ---------------------------------------------------------------------------------------------
stage provision
mkdir -p "$R/tmp/kurz"
cp -a "$REPO/exercises/starter" "$R/tmp/kurz/starter"
install -m 755 "$REPO/exercises/provision.sh" "$R/tmp/kurz/provision.sh"
in_root /tmp/kurz/provision.sh > "$OUT/provision-1.log" 2>&1 || { cat "$OUT/provision-1.log" >&2; exit 1; }
# Second run: must change nothing (idempotence is part of the contract).
in_root /tmp/kurz/provision.sh > "$OUT/provision-2.log" 2>&1 || { cat "$OUT/provision-2.log" >&2; exit 1; }
grep -q 'nic se nezměnilo' "$OUT/provision-2.log" || { echo "provision.sh is not idempotent:" >&2; cat "$OUT/provision-2.log" >&2; exit 1; }
rm -rf "$R/tmp/kurz"

# ---------------------------------------------------------------------------------------------
stage finish
rm -f "$R/usr/sbin/policy-rc.d"
in_root apt-get clean
umount_chroot
# Every clone gets its own machine-id on first boot (DHCP client ids differ in a classroom).
: > "$R/etc/machine-id"; rm -f "$R/var/lib/dbus/machine-id"
printf '# The course VM has no internet and no DNS.\n' > "$R/etc/resolv.conf"
rm -rf "$R"/var/log/*.log "$R"/var/cache/debconf/*-old "$R"/root/.cache
kver=$(ls "$R/lib/modules" | sort -V | tail -n1)
echo "$kver" > "$OUT/kernel-version.txt"
cp "$R/boot/vmlinuz-$kver" "$OUT/vmlinuz"; cp "$R/boot/initrd.img-$kver" "$OUT/initrd.img"

# ---------------------------------------------------------------------------------------------
stage disk
truncate -s "$DISK_SIZE" "$OUT/disk.raw"
mkfs.ext4 -q -F -L root -d "$R" "$OUT/disk.raw"   # no loop device or mount needed
qemu-img convert -O qcow2 "$OUT/disk.raw" "$OUT/disk.qcow2"
rm -f "$OUT/disk.raw"
