"""`./kurz lab build|box|up|down|status|ssh|destroy|clean` (messages in Czech)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from lab.errors import LabError


def _cmd_build(args) -> int:
    from lab.build import ensure_image

    image = ensure_image(force=args.force, install_deps=args.install_deps)
    m = image.manifest
    print(f"Obraz: {image.path}")
    print(f"  disk {image.disk.name}, jádro {m['kernel']}, balíčků v místním repozitáři {m['apt_repo_packages']}, "
          f"sestaveno {m['created']} za {m['build_seconds']} s")
    return 0


def _cmd_box(args) -> int:
    from lab.build import BOX_NAME, build_box, ensure_image

    box = build_box(ensure_image(install_deps=args.install_deps))
    print(box)
    print(f"Přidejte ho do Vagrantu: vagrant box add --force --name {BOX_NAME} {box}")
    print(f"a spusťte stroj s ním: KURZ_BOX={BOX_NAME} vagrant up --provider=libvirt")
    return 0


def _course_vm(args=None):
    from lab.vm import VM

    return VM("course", http_port=getattr(args, "http_port", None))


def _cmd_up(args) -> int:
    from lab.build import ensure_image

    vm = _course_vm(args)
    if vm.is_running():
        print(f"Stroj už běží (PID {vm.pid}). Web: http://127.0.0.1:{vm.http_port}/  SSH: ./kurz lab ssh")
        return 0
    ensure_image(install_deps=args.install_deps)
    print("Startuji kurzový stroj (bez hardwarové virtualizace to trvá asi půl minuty) …", flush=True)
    vm.start(timeout=args.timeout)
    try:
        state = vm.wait_ready(timeout=60)
    except BaseException:  # Ctrl-C (or no answer) before `up` has finished: nothing is left running
        vm.stop(graceful=False)
        raise
    accel = "KVM" if vm.accel == "kvm" else "softwarová emulace (TCG)"
    print(f"Stroj běží ({state}). PID {vm.pid}, {accel}.")
    print(f"  web:        http://127.0.0.1:{vm.http_port}/  (port 80 stroje)")
    print(f"  přihlášení: ./kurz lab ssh   (nebo ssh -F {vm.ssh_config} default)")
    print("  kontrola:   ./kurz --target lab step0")
    print("  vypnutí:    ./kurz lab down")
    return 0


def _cmd_down(args) -> int:
    vm = _course_vm()
    if args.destroy:
        vm.destroy()
        print("Stroj je vypnutý a jeho disk smazaný; příští `./kurz lab up` začne od začátku.")
        return 0
    if not vm.is_running():
        print("Stroj neběží.")
        return 0
    vm.stop()
    print("Stroj je vypnutý. Vaše změny zůstaly na jeho disku; znovu ho spustíte `./kurz lab up`.")
    return 0


def _cmd_status(args) -> int:
    from lab.build import find_image, inputs_hash

    vm = _course_vm()
    image = find_image()
    print(f"Obraz: {image.path if image else 'není sestavený (./kurz lab build)'} (klíč {inputs_hash()})")
    if vm.is_running():
        print(f"Stroj: běží, PID {vm.pid}")
        print(f"  SSH 127.0.0.1:{vm.ssh_port}, web http://127.0.0.1:{vm.http_port}/")
        print(f"  ssh-config: {vm.ssh_config}")
        return 0
    print("Stroj: neběží" + (" (disk se změnami existuje)" if vm.overlay.exists() else ""))
    return 3


def _cmd_ssh(args) -> int:
    vm = _course_vm()
    if not vm.is_running():
        raise LabError("Stroj neběží.", "Spusťte ho příkazem `./kurz lab up`.")
    argv = ["ssh", "-F", str(vm.ssh_config), "default", *args.command]
    os.execvp("ssh", argv)
    return 0  # not reached


def _cmd_clean(args) -> int:
    from lab.build import find_image, images_dir, remove_tree

    keep = find_image()
    removed = 0
    for p in images_dir().iterdir() if images_dir().exists() else []:
        if p.is_dir() and len(p.name) == 16 and (keep is None or p != keep.path):
            remove_tree(p)
            removed += 1
    if args.all:
        for sub in ("debs", "base", "repo-debs", "wheels"):
            shutil.rmtree(images_dir() / sub, ignore_errors=True)
    print(f"Smazáno starých obrazů: {removed}.")
    return 0


class _CzechHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "použití: " if prefix is None else prefix)


class _CzechParser(argparse.ArgumentParser):
    """argparse with Czech headings, help and errors (its own strings are English)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _CzechHelp)
        super().__init__(*args, **kwargs)
        self._positionals.title = "příkazy a argumenty"
        self._optionals.title = "volby"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "vypíše tuto nápovědu"

    def error(self, message: str):
        for old, new in (("the following arguments are required", "chybí povinný argument"),
                         ("unrecognized arguments", "neznámé parametry"), ("invalid choice", "neplatná volba"),
                         ("choose from", "možnosti"), ("argument ", "parametr "), ("expected one argument", "chybí hodnota"),
                         ("invalid int value", "není celé číslo"), ("invalid float value", "není číslo")):
            message = message.replace(old, new)
        self.exit(2, f"Chyba: {message}\nNápovědu vypíše `{self.prog} --help`.\n")


def main(argv: list[str] | None = None) -> int:
    p = _CzechParser(prog="./kurz lab", description="Kurzový virtuální stroj bez Vagrantu (QEMU).")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_CzechParser, metavar="PŘÍKAZ")
    b = sub.add_parser("build", help="sestaví offline obraz stroje (potřebuje root)")
    b.add_argument("--force", action="store_true", help="sestavit znovu, i když je obraz v mezipaměti")
    b.add_argument("--install-deps", action="store_true", help="nejdřív nainstalovat chybějící nástroje (apt)")
    x = sub.add_parser("box", help="zabalí obraz jako box pro Vagrant (libvirt)")
    x.add_argument("--install-deps", action="store_true", help="nejdřív nainstalovat chybějící nástroje (apt)")
    u = sub.add_parser("up", help="spustí kurzový stroj")
    u.add_argument("--http-port", type=int, default=None, help="port pro web stroje (výchozí 8080)")
    u.add_argument("--timeout", type=float, default=300, help="jak dlouho čekat na start v sekundách (výchozí 300)")
    u.add_argument("--install-deps", action="store_true", help="nejdřív nainstalovat chybějící nástroje (apt)")
    d = sub.add_parser("down", help="vypne kurzový stroj")
    d.add_argument("--destroy", action="store_true", help="a smaže jeho disk (začít znovu)")
    sub.add_parser("status", help="vypíše stav stroje")
    s = sub.add_parser("ssh", help="přihlásí se do stroje")
    s.add_argument("command", nargs=argparse.REMAINDER, help="příkaz, který se na stroji spustí (jinak přihlášení)")
    c = sub.add_parser("clean", help="smaže staré obrazy z mezipaměti")
    c.add_argument("--all", action="store_true", help="i stažené balíčky")
    args = p.parse_args(argv)
    handler = {"build": _cmd_build, "box": _cmd_box, "up": _cmd_up, "down": _cmd_down,
               "status": _cmd_status, "ssh": _cmd_ssh, "clean": _cmd_clean}[args.cmd]
    try:
        return handler(args)
    except LabError as exc:
        print(f"Chyba: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"Co dělat: {exc.hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Přerušeno.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
