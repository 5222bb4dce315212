"""Joining and leaving a class, and what `class status` reports (no printing here: commands.py renders)."""

from __future__ import annotations

import time
from typing import Callable

from checkers.classroom import client, config as class_config, outbox
from checkers.classroom.client import Connection, FingerprintChanged
from checkers.classroom.config import ClassConfig
from checkers.errors import CheckerError
from checkers.progress import now_iso

Ask = Callable[[str], str]  # shows a question, returns the answer; raises EOFError without a terminal


def join(address_text: str, code: str, name: str | None, fingerprint: str | None, ask: Ask,
         say: Callable[[str], None]) -> ClassConfig:
    from checkers.class_protocol import ProtocolError, clean_name

    existing = class_config.load_config()
    if existing is not None:
        raise CheckerError(f"Už jste připojeni ke třídě na {existing.address} (jako {existing.name}).",
                           "Chcete-li se připojit jinam, nejdřív napište `./kurz class leave`.")
    address = client.normalize_address(address_text)
    code = (code or "").strip()
    if not code:
        raise CheckerError("Chybí kód třídy.", "Opište kód, který ukazuje vyučující: `./kurz class join ADRESA --code ABCD-1234`.")
    https = address.startswith("https://")
    if fingerprint and not https:
        raise CheckerError("Otisk certifikátu (--fingerprint) patří jen k adrese https://….",
                           "Použijte adresu https://…, kterou ukazuje vyučující, nebo vynechte --fingerprint.")
    pinned = client.format_fingerprint(client.parse_fingerprint(fingerprint)) if fingerprint else None
    connection = Connection(address, pinned)
    try:
        try:
            health = connection.request("GET", "/api/health")
        except FingerprintChanged as exc:
            raise CheckerError(f"Certifikát serveru {address} má otisk {exc.seen}, ne ten zadaný v --fingerprint. "
                               "Nic jsem mu neposlal.",
                               "Porovnejte otisk s tím, který ukazuje vyučující. Nesouhlasí-li, nepřipojujte se – "
                               "může jít o podvržený server.") from None
        if health.status != 200 or not str(health.data.get("server", "")).startswith("kurz-class"):
            raise CheckerError(f"Na adrese {address} neběží server třídy.",
                               "Zkontrolujte adresu a port, které ukazuje vyučující.")
        if https and pinned is None:
            say(f"Otisk certifikátu serveru: {connection.seen_fingerprint}")
            answer = _ask(ask, "Je stejný jako otisk, který ukazuje vyučující? [a/N] ")
            if answer.strip().lower() not in ("a", "ano", "y", "yes"):
                raise CheckerError("Připojení zrušeno: otisk certifikátu nebyl potvrzen.",
                                   "Připojte se s otiskem od vyučujícího: `./kurz class join ADRESA --code KÓD "
                                   "--fingerprint SHA256:…`.")
            pinned = connection.seen_fingerprint
        if name is None:
            name = _ask(ask, "Vaše jméno a příjmení (jak je vede vyučující): ")
        try:
            name = clean_name(name)
        except ProtocolError as exc:
            raise CheckerError(f"Jméno nejde použít: {exc.reason}", "Napište své jméno, např. `--name \"Jana Nováková\"`.") from None
        reply = connection.request("POST", "/api/join", {"code": code, "name": name})
    finally:
        connection.close()
    if reply.status == 201 and isinstance(reply.data.get("token"), str) and reply.data["token"]:
        config = ClassConfig(address=address, token=reply.data["token"], student_id=reply.data.get("student_id"),
                             name=str(reply.data.get("name") or name), course=str(health.data.get("course") or ""),
                             fingerprint=pinned, joined_at=now_iso())
        try:
            class_config.save_config(config)
        except OSError as exc:
            from checkers.storage import storage_problem

            raise CheckerError(f"{storage_problem(exc, class_config.config_path().parent)} Připojení ke třídě se neuložilo.",
                               "Uvolněte místo nebo opravte práva a připojte se znovu; vyučující vás musí "
                               "v přehledu třídy uvolnit.") from None
        return config
    raise CheckerError(*join_refusal(reply, name))


def join_refusal(reply, name: str) -> tuple[str, str]:
    detail = reply.detail
    if reply.status == 403:
        return ("Kód třídy nesouhlasí.", "Opište kód přesně tak, jak ho ukazuje vyučující (např. ABCD-1234).")
    if reply.status == 409:
        return (detail or f"Student „{name}“ už je ve třídě připojený (možná z jiného počítače).",
                "Až vás vyučující na nástěnce uvolní, napište `./kurz class join …` znovu.")
    if reply.status == 404:
        return (detail or f"Jméno „{name}“ není na soupisce třídy.",
                "Napište jméno přesně tak, jak ho vede vyučující (diakritika a velikost písmen nevadí).")
    if reply.status == 429:
        return ("Server třídy teď přijímá příliš mnoho požadavků.", "Zkuste to za chvíli znovu.")
    if reply.status == 400:
        return (detail or "Server odmítl požadavek na připojení.", "Zkontrolujte kód a jméno.")
    return (f"Server třídy odpověděl chybou {reply.status}.", "Zkuste to za chvíli znovu, případně řekněte vyučujícímu.")


def _ask(ask: Ask, question: str) -> str:
    try:
        return ask(question)
    except EOFError:
        raise CheckerError("Nejde se zeptat: příkaz neběží v terminálu.",
                           "Zadejte odpověď parametrem (--name \"…\", --fingerprint SHA256:…).") from None


def leave(send_first: float = 5.0) -> tuple[ClassConfig | None, int, int, bool]:
    """Try to send what is queued (for `send_first` seconds), tell the server (it frees the name for a
    new join), then forget the class and the queue. Returns (the class left or None, sent now, unsent
    dropped, whether the server freed the name)."""
    config = class_config.load_config()
    sent, freed = 0, False
    if config is not None and outbox.pending():
        sent = outbox.flush(config, time.monotonic() + send_first)["sent"]
    if config is not None:
        freed = tell_server_we_leave(config)
    dropped = outbox.clear()
    try:
        class_config.config_path().unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        from checkers.storage import storage_problem

        raise CheckerError(f"{storage_problem(exc, class_config.config_path())} Odpojení se nepovedlo.",
                           "Opravte práva nebo místo na disku a zkuste to znovu.") from None
    return config, sent, dropped, freed


def tell_server_we_leave(config: ClassConfig) -> bool:
    """Best effort: an unreachable server, or one without /api/leave, only means the teacher frees
    the name on the dashboard."""
    connection = Connection(config.address, config.fingerprint, timeout=3.0)
    try:
        return connection.request("POST", "/api/leave", {}, token=config.token).status in (200, 204)
    except CheckerError:
        return False
    finally:
        connection.close()


def status(send: bool, send_budget: float = 30.0) -> dict:
    """The state of the connection and the queue; with `send`, first send the queue (at most
    `send_budget` seconds). No token in it."""
    config = class_config.load_config()
    report: dict = {"joined": config is not None, "config_unreadable": False}
    if config is None:
        report["config_unreadable"] = class_config.config_path().exists()
    else:
        report["class"] = config.public()
    if send and config is not None:
        report["send"] = outbox.flush(config, time.monotonic() + send_budget)
    files = outbox.pending()
    state = outbox.read_status()
    report.update({
        "queued": len(files), "queued_bytes": outbox.queued_bytes(files), "queue_dir": str(outbox.queue_dir()),
        "last_success_at": state.get("last_success_at"), "sent_total": int(state.get("sent_total") or 0),
        "last_error": state.get("last_error") or "", "last_error_at": state.get("last_error_at"),
        "dropped_total": int(state.get("dropped_total") or 0), "dropped_last": state.get("dropped_last"),
        "rejected_total": int(state.get("rejected_total") or 0), "last_rejected": state.get("last_rejected"),
        "limits": {"files": outbox.max_files(), "bytes": outbox.MAX_BYTES}})
    return report
