"""The class protocol: the submission document (schema 1), the join request, and their limits.

Pure: no I/O. Shared by the client (builds and masks before sending) and the server (decodes,
validates, masks again before storing). Every refusal is a Czech reason the student can act on.

    {"kind": "kurz-submission", "schema": 1, "id": "<32 hex>", "sequence": <int >= 1>,
     "created_at": "<ISO 8601 UTC>", "command": "step3"|"all"|"next"|"watch"|"doctor"|"submit",
     "checker": {"version": "<str>", "checks_digest": "<str>"}, "target": "<label>",
     "facts": {...}, "verdicts": {...}}

Unknown keys are ignored (dropped by `normalize`), so a newer client still talks to an older server.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import re
import secrets
import string
import unicodedata
import uuid
import zlib
from datetime import datetime, timezone

from checkers.probe.envelope import MASK, SECRET_ASSIGNMENT, URL_PASSWORD

KIND = "kurz-submission"
SCHEMA = 1
SERVER_NAME = "kurz-class/1"

MAX_BODY = 2 * 1024 * 1024  # bytes on the wire (compressed or not)
MAX_DECOMPRESSED = 8 * 1024 * 1024  # bytes after gzip: a gzip bomb stops here
MAX_JOIN_BODY = 4096
MAX_NAME = 120  # characters of a student's name
MAX_LABEL = 200  # target label, checker version, digest
MAX_DEPTH = 64  # nesting of facts/verdicts (deeper is no facts document; also guards recursion)
MAX_SEQUENCE = 2**53  # beyond that JSON numbers lose precision in some clients
COMMANDS = ("all", "next", "watch", "doctor", "submit")
STEP_COMMAND = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")  # stepN and the course's other step ids (web, svs…)
ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
CODE_PATTERN = re.compile(r"^[A-Z]{4}-\d{4}$")
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O: never confused with 1 and 0 when read aloud



class ProtocolError(ValueError):
    """A request the server refuses: `status` is the HTTP status, the message is Czech."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status

    def __reduce__(self):  # crosses the process boundary of the server's grading workers intact
        return ProtocolError, (self.reason, self.status)


# ----------------------------------------------------------------------------------- building
def new_id() -> str:
    return uuid.uuid4().hex


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_submission(*, sequence: int, command: str, target: str, facts: dict, verdicts: dict,
                     checker_version: str, checks_digest: str, created_at: str | None = None,
                     submission_id: str | None = None) -> dict:
    """A submission document, masked: ready to queue and send."""
    return mask_document({
        "kind": KIND, "schema": SCHEMA, "id": submission_id or new_id(), "sequence": int(sequence),
        "created_at": created_at or utc_now(), "command": command,
        "checker": {"version": str(checker_version), "checks_digest": str(checks_digest)},
        "target": str(target), "facts": facts, "verdicts": verdicts})


def mask_document(value):
    """Secret-looking assignments (SECRET_KEY = '…', PASSWORD: "…") and passwords in URLs masked,
    anywhere in the document: the probe's own patterns (checkers.probe.envelope), a second net after it."""

    return _mask(value, SECRET_ASSIGNMENT, URL_PASSWORD)


def _mask(value, assignment, url_password):
    if isinstance(value, str):
        if ("=" in value or ":" in value) and assignment.search(value):
            value = assignment.sub(lambda m: m.group("name") + m.group("q") + MASK + m.group("q"), value)
        if "://" in value and "@" in value:
            value = url_password.sub(lambda m: m.group("head") + MASK + "@", value)
        return value
    if isinstance(value, list):
        return [_mask(item, assignment, url_password) for item in value]
    if isinstance(value, dict):
        return {key: _mask(item, assignment, url_password) for key, item in value.items()}
    return value


# ----------------------------------------------------------------------------------- decoding
def decode_body(raw: bytes, content_encoding: str = "", limit: int = MAX_BODY):
    """The JSON document of a request body (gzip accepted), or ProtocolError (413 or 400)."""
    return _loads(decode_text(raw, content_encoding, limit))


def decode_text(raw: bytes, content_encoding: str = "", limit: int = MAX_BODY) -> str:
    """The body as text: size-checked, gunzipped within MAX_DECOMPRESSED, UTF-8."""
    if len(raw) > limit:
        raise ProtocolError(f"Požadavek je příliš velký (nejvýš {limit // 1024} KiB).", 413)
    encoding = (content_encoding or "").strip().lower()
    if encoding == "gzip":
        raw = gunzip_limited(raw, MAX_DECOMPRESSED)
    elif encoding not in ("", "identity"):
        raise ProtocolError(f"Neznámé kódování těla požadavku „{encoding[:40]}“ (umím jen gzip).", 415)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("Tělo požadavku není text v UTF-8.") from None


def _loads(text: str):
    try:
        return json.loads(text)
    except RecursionError:
        raise ProtocolError("Dokument je příliš hluboce zanořený.") from None
    except ValueError as exc:
        raise ProtocolError(f"Tělo požadavku není platný JSON ({_short(str(exc), 80)}).") from None


def gunzip_limited(raw: bytes, limit: int) -> bytes:
    """Decompress at most `limit` bytes: a small body that inflates to gigabytes is refused early."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise ProtocolError("Tělo požadavku není platný gzip.") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise ProtocolError(f"Rozbalený dokument je příliš velký (nejvýš {limit // (1024 * 1024)} MiB).", 413)
    if not inflater.eof:
        raise ProtocolError("Tělo požadavku není celý gzip (je useknuté).")
    return out


def format_fingerprint(der: bytes) -> str:
    """A certificate's SHA-256 as `class serve --tls` prints it and `join --fingerprint` pins it."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return "SHA256:" + ":".join(digest[i:i + 2] for i in range(0, 64, 2))


def gzip_bytes(raw: bytes) -> bytes:
    return gzip.compress(raw, compresslevel=6, mtime=0)


# --------------------------------------------------------------------------------- validation
def validate(doc) -> tuple[bool, str]:
    """(True, "") for a submission the server stores, else (False, Czech reason)."""
    try:
        normalize(doc)
        if _too_deep(doc, MAX_DEPTH):
            raise ProtocolError("Dokument je příliš hluboce zanořený.")
    except ProtocolError as exc:
        return False, exc.reason
    return True, ""


def prepare(raw: bytes, content_encoding: str = "") -> dict:
    """What the server stores from a request body: decoded, checked, masked. ProtocolError
    (400/413/415) with a Czech reason otherwise."""
    text = decode_text(raw, content_encoding)
    doc = normalize(_loads(text))
    if _too_deep(doc, MAX_DEPTH):
        raise ProtocolError("Dokument je příliš hluboce zanořený.")
    # The mask walk costs more than grading; a document whose JSON text holds nothing the masking
    # patterns could match (the usual case: the client masked already) is left as it is.
    return mask_document(doc) if may_hold_secret(text) else doc


# A superset of the masking patterns as they appear in JSON text (escaped quotes, \uXXXX, \t…),
# searched from the few places a keyword or "://" occurs (a full regex scan costs milliseconds).
_SECRET_WORDS = ("secret", "passw", "token")
_SECRET_TAIL = re.compile(r"""[\w\\]*['"]?(?:\s|\\[tnr])*[:=](?:\s|\\[tnr])*\\?['"]""")
_URL_TAIL = re.compile(r"""[^\s/:@'"]*:[^\s@'"/]+@""")
_SCHEME_CHARS = frozenset(string.ascii_letters + string.digits + "+.-")


def may_hold_secret(text: str) -> bool:
    """False only when no masking pattern can match anywhere in the decoded document."""
    lower = text.lower()
    budget = 2000  # a document made of keywords gets the full walk instead of endless look-ups
    for word in _SECRET_WORDS:
        at = lower.find(word)
        while at != -1:
            budget -= 1
            if budget < 0 or _SECRET_TAIL.match(lower, at + len(word)):
                return True
            at = lower.find(word, at + 1)
    at = text.find("://")
    while at != -1:
        budget -= 1
        if budget < 0 or (at > 0 and text[at - 1] in _SCHEME_CHARS and _URL_TAIL.match(text, at + 3)):
            return True
        at = text.find("://", at + 1)
    return "\\/" in text  # an encoder that escapes "/" hides "://" from the search above


def normalize(doc) -> dict:
    """The submission with only the known keys, checked; ProtocolError (400) otherwise."""
    if not isinstance(doc, dict):
        raise ProtocolError("Odevzdání musí být objekt JSON.")
    if doc.get("kind") != KIND:
        raise ProtocolError(f"Dokument není odevzdání checkeru (chybí \"kind\": \"{KIND}\").")
    if doc.get("schema") != SCHEMA:
        raise ProtocolError(f"Odevzdání má schéma {_short(repr(doc.get('schema')), 20)}, server umí schéma {SCHEMA}. "
                            "Aktualizujte checker (git pull).")
    submission_id = doc.get("id")
    if not isinstance(submission_id, str) or not ID_PATTERN.match(submission_id):
        raise ProtocolError("Pole \"id\" musí být 32 šestnáctkových číslic (malými písmeny).")
    sequence = doc.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE:
        raise ProtocolError("Pole \"sequence\" musí být kladné celé číslo.")
    created_at = doc.get("created_at")
    if parse_time(created_at) is None:
        raise ProtocolError("Pole \"created_at\" musí být čas ve formátu ISO 8601 s časovou zónou.")
    command = doc.get("command")
    if not isinstance(command, str) or not (command in COMMANDS or STEP_COMMAND.match(command)):
        raise ProtocolError("Pole \"command\" musí být příkaz checkeru (stepN, all, next, watch, doctor, submit…).")
    checker = doc.get("checker")
    if not isinstance(checker, dict):
        raise ProtocolError("Pole \"checker\" musí být objekt s verzí checkeru.")
    version = _bounded(checker.get("version"), "checker.version")
    digest = _bounded(checker.get("checks_digest"), "checker.checks_digest")
    target = _bounded(doc.get("target"), "target")
    for key in ("facts", "verdicts"):
        if not isinstance(doc.get(key), dict):
            raise ProtocolError(f"Pole \"{key}\" musí být objekt JSON.")
    return {"kind": KIND, "schema": SCHEMA, "id": submission_id, "sequence": sequence, "created_at": created_at,
            "command": command, "checker": {"version": version, "checks_digest": digest}, "target": target,
            "facts": doc["facts"], "verdicts": doc["verdicts"]}


def reported_steps(verdicts: dict) -> list[str]:
    """Which steps the student's run evaluated (from its --json document): only these cells change.
    Never trusted for points; the server grades the facts itself."""
    steps = verdicts.get("steps") if isinstance(verdicts, dict) else None
    if not isinstance(steps, list):
        return []
    return [s["id"] for s in steps if isinstance(s, dict) and isinstance(s.get("id"), str)][:200]


def parse_join(doc) -> tuple[str, str]:
    """(code, name) of a join request; ProtocolError (400) otherwise."""
    if not isinstance(doc, dict):
        raise ProtocolError("Požadavek musí být objekt JSON s poli \"code\" a \"name\".")
    code = doc.get("code")
    if not isinstance(code, str) or not code.strip():
        raise ProtocolError("Chybí kód třídy (pole \"code\").")
    name = clean_name(doc.get("name"))
    return code.strip().upper()[:40], name


def clean_name(name) -> str:
    if not isinstance(name, str):
        raise ProtocolError("Chybí jméno studenta (pole \"name\").")
    name = " ".join(unicodedata.normalize("NFC", name).split())
    if not name:
        raise ProtocolError("Jméno studenta je prázdné.")
    if len(name) > MAX_NAME:
        raise ProtocolError(f"Jméno je delší než {MAX_NAME} znaků.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") for c in name):
        raise ProtocolError("Jméno obsahuje řídicí nebo neviditelné znaky.")
    return name


def name_key(name: str) -> str:
    """Accent- and case-insensitive form of a name: „Jana Nováková“ == „jana novakova“."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


# ------------------------------------------------------------------------------ codes, tokens
def new_class_code() -> str:
    letters = "".join(secrets.choice(CODE_LETTERS) for _ in range(4))
    digits = "".join(secrets.choice(string.digits) for _ in range(4))
    return f"{letters}-{digits}"


def code_matches(given: str, code: str) -> bool:
    given = given.strip().upper().replace(" ", "")
    if len(given) == 8 and "-" not in given:
        given = given[:4] + "-" + given[4:]
    return hmac.compare_digest(given.encode(), code.encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# ------------------------------------------------------------------------------------ helpers
def parse_time(value) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _bounded(value, field: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"Pole \"{field}\" musí být text.")
    if len(value) > MAX_LABEL:
        raise ProtocolError(f"Pole \"{field}\" je delší než {MAX_LABEL} znaků.")
    return value


def _too_deep(value, limit: int) -> bool:
    """Nested deeper than `limit` containers (iterative: a hostile document cannot exhaust the stack)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        for child in (item.values() if type(item) is dict else item):
            if type(child) is dict or type(child) is list:
                stack.append((child, level + 1))
    return False


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
