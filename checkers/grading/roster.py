"""The class roster: a CSV file with the header `name,id,target,identity[,project]`.

    name      the student's name as the teacher wants to see it (any text)
    id        the identifier for the school system (Moodle: e-mail, username or ID number); unique
    target    ssh://user@host[:port] · vagrant:NAME · lab · local · http(s)://… (a live site)
    identity  path of the SSH private key for ssh:// targets (relative to the roster); may be empty
    project   optional: the Django project's directory on the target (an absolute path); empty means
              `grade --project`, or the course's /srv/my_project

Encoding: UTF-8 (with or without a BOM), or Windows-1250 (what Czech Excel saves as "CSV (oddělený
středníkem)"): detected, never guessed silently – the teacher is told when Windows-1250 was used.

Every problem is reported with its line and column, all of them at once, and nothing is graded
until the roster is clean. Fields are data only: they never reach a shell, and the key file is
only checked for existence here (paramiko reads it when connecting).
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from checkers.errors import CheckerError, hide_url_passwords
from checkers.grading.model import RosterEntry
from checkers.targets import parse_target
from checkers.texts import plural

COLUMNS = ("name", "id", "target", "identity", "project")
REQUIRED = ("name", "id", "target")
COLUMN_LABELS = {"name": "name (jméno)", "id": "id (identifikátor)", "target": "target (cíl)",
                 "identity": "identity (klíč)", "project": "project (projekt)"}
MAX_ERRORS_SHOWN = 25
FORMULA_START = "=+-@"  # a cell starting with these is a formula in Excel/LibreOffice
MAX_FIELD = 500
HINT = ("Soupiska je CSV v kódování UTF-8 s hlavičkou `name,id,target,identity` (a případně `project`), např.\n"
        "  name,id,target,identity\n"
        "  Jana Nováková,jana.novakova@skola.cz,ssh://vagrant@10.0.0.11,klice/trida\n"
        "Vzor pro učebnu s Vagrantem vypíše `./kurz roster --vagrant 12`.")


class RosterProblems:
    def __init__(self):
        self.items: list[str] = []

    def add(self, line: int, column: str | None, text: str) -> None:
        where = f"řádek {line}" + (f", sloupec {COLUMN_LABELS.get(column, column)}" if column else "")
        self.items.append(hide_url_passwords(f"{where}: {text}"))


def load_roster(path: str | Path, notes: list[str] | None = None) -> list[RosterEntry]:
    """The roster's entries; `notes` collects what the teacher should know (an encoding detected)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise CheckerError(f"Soupiska {path} neexistuje.", "Zkontrolujte cestu k souboru se soupiskou.") from exc
    except IsADirectoryError as exc:
        raise CheckerError(f"{path} je adresář, ne soubor se soupiskou.", HINT) from exc
    except OSError as exc:
        raise CheckerError(f"Soupisku {path} nejde přečíst: {exc.strerror}.", "Zkontrolujte práva k souboru.") from exc
    return parse_roster(raw, base_dir=path.resolve().parent, source=str(path), notes=notes)


def decode_roster(raw: bytes, source: str, notes: list[str] | None = None) -> str:
    """UTF-8 (a BOM allowed); otherwise Windows-1250 when the text reads as one, and then say so."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        failure = exc
    try:
        text = raw.decode("cp1250")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(_plausible_char(c) for c in text):
        sample = next((w for w in re.findall(r"[^\W\d_]+", text) if any(ord(c) > 127 for c in w)), "")
        if notes is not None:
            notes.append(f"Soupiska {source} není v UTF-8, přečetl jsem ji v kódování Windows-1250 (tak ukládá "
                         f"český Excel „CSV (oddělený středníkem)“)."
                         + (f" Zkontrolujte, že se diakritika přečetla správně, např. „{sample}“." if sample else ""))
        return text
    raise CheckerError(f"Soupiska {source} není v kódování UTF-8 ani Windows-1250 (řádek {line}).",
                       "V Excelu ji uložte jako „CSV UTF-8 (s oddělovači)“, v LibreOffice zvolte kódování UTF-8."
                       ) from failure


def _plausible_char(char: str) -> bool:
    """A character a roster written in Windows-1250 holds (letters, digits, punctuation, spaces)."""
    if char in "\t\r\n" or " " <= char <= "~":
        return True
    import unicodedata

    return unicodedata.category(char)[0] in "LNPZ" or char in "€§°×÷"


def parse_roster(raw: bytes, *, base_dir: Path, source: str = "soupiska",
                 notes: list[str] | None = None) -> list[RosterEntry]:
    try:
        return _parse_roster(raw, base_dir, source, notes)
    except CheckerError as exc:  # a message quoting a cell never repeats a password written in a URL
        raise CheckerError(hide_url_passwords(exc.message), hide_url_passwords(exc.hint), exc.exit_code) from exc


def _parse_roster(raw: bytes, base_dir: Path, source: str, notes: list[str] | None) -> list[RosterEntry]:
    text = decode_roster(raw, source, notes)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise CheckerError(f"Soupiska {source} obsahuje na řádku {line} nulový znak, takže to není textové CSV.", HINT)
    if not text.strip():
        raise CheckerError(f"Soupiska {source} je prázdná.", HINT)
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","  # Czech Excel saves with ';'
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems = RosterProblems()
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CheckerError(f"Hlavičku soupisky {source} nejde přečíst jako CSV: {exc}.", HINT) from exc
    columns = [h.strip().lower() for h in header]
    positions: dict[str, int] = {}
    for index, name in enumerate(columns):
        if name in positions:
            problems.add(1, name, "sloupec je v hlavičce dvakrát")
        elif name in COLUMNS:
            positions[name] = index
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        seen = ", ".join(h for h in header if h.strip()) or "nic"
        raise CheckerError(f"V hlavičce soupisky {source} chybí sloupce: {', '.join(missing)} (je tam: {seen}).", HINT)

    entries: list[RosterEntry] = []
    seen_ids: dict[str, int] = {}
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.add(start, None, f"řádek nejde přečíst jako CSV ({_csv_error(exc)})")
            break
        line = start
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(header):
            problems.add(line, None, f"má {len(row)} hodnot, hlavička má {len(header)} sloupců "
                                     f"(oddělovač je „{delimiter}“; hodnotu s oddělovačem dejte do uvozovek)")
            continue
        values = {name: row[index] for name, index in positions.items()}
        key = values["id"].strip().casefold()
        if key and key in seen_ids:
            problems.add(line, "id", f"identifikátor „{values['id'].strip()}“ už je na řádku {seen_ids[key]}")
            continue
        seen_ids.setdefault(key, line)
        entry = _entry(line, values, base_dir, problems)
        if entry is not None:
            entries.append(entry)
    if not entries and not problems.items:
        raise CheckerError(f"Soupiska {source} nemá žádného studenta (jen hlavičku).", HINT)
    if problems.items:
        shown = problems.items[:MAX_ERRORS_SHOWN]
        more = len(problems.items) - len(shown)
        listing = "\n".join(f"  • {p}" for p in shown) + (f"\n  … a dalších {more}" if more > 0 else "")
        raise CheckerError(f"Soupiska {source} má chyby, nic jsem nehodnotil:\n{listing}",
                           "Opravte uvedené řádky a spusťte hodnocení znovu.\n" + HINT)
    return entries


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        return "neuzavřené uvozovky"
    if "expected" in text and "after" in text:
        return "za uzavírací uvozovkou pokračuje text; uvozovku uvnitř hodnoty napište dvakrát"
    return text


def _entry(line: int, values: dict[str, str], base_dir: Path, problems: RosterProblems) -> RosterEntry | None:
    before = len(problems.items)
    name = values["name"].strip()
    student_id = values["id"].strip()
    target = values["target"].strip()
    identity = (values.get("identity") or "").strip()
    project = (values.get("project") or "").strip()
    for column, value in (("name", name), ("id", student_id), ("target", target), ("identity", identity),
                          ("project", project)):
        if len(value) > MAX_FIELD:
            problems.add(line, column, f"hodnota je delší než {plural(MAX_FIELD, 'znak', 'znaky', 'znaků')}")
    if not name:
        problems.add(line, "name", "jméno chybí")
    if not student_id:
        problems.add(line, "id", "identifikátor chybí (Moodle podle něj pozná studenta)")
    elif re.search(r"[\x00-\x1f\x7f]", student_id):
        problems.add(line, "id", "identifikátor obsahuje konec řádku nebo řídicí znak")
    elif student_id[0] in FORMULA_START:
        problems.add(line, "id", f"identifikátor nesmí začínat znakem „{student_id[0]}“ "
                                 "(tabulkový program by ho v exportu spustil jako vzorec)")
    kind = None
    if not target:
        problems.add(line, "target", "cíl chybí")
    elif re.search(r"\s", target):
        problems.add(line, "target", f"cíl „{_short(target)}“ obsahuje mezeru nebo konec řádku")
    else:
        try:
            kind = parse_target(target).kind
        except CheckerError as exc:
            problems.add(line, "target", exc.message.rstrip(".") + f" (možné tvary: {_FORMS})")
        if kind in ("ssh", "url"):
            parts = urlsplit(target)
            if parts.password is not None:
                problems.add(line, "target", "v adrese je heslo; heslo do soupisky nepatří, použijte SSH klíč "
                                             "ve sloupci identity")
                kind = None
            elif kind == "ssh" and not parts.username:
                problems.add(line, "target", "chybí uživatel, napište ssh://uživatel@stroj[:port]")
                kind = None
    key_path = None
    if identity:
        if kind in ("vagrant", "lab"):
            problems.add(line, "identity", f"u cíle {target} se klíč nezadává, SSH nastavení zná Vagrant (sloupec nechte prázdný)")
        elif kind in ("url", "local"):
            problems.add(line, "identity", f"u cíle {target} se SSH klíč nepoužívá (sloupec nechte prázdný)")
        else:
            candidate = Path(os.path.expanduser(identity))
            if not candidate.is_absolute():
                candidate = base_dir / candidate
            if not candidate.is_file():
                problems.add(line, "identity", f"soubor s klíčem „{_short(identity)}“ neexistuje "
                                               f"(relativní cesta se počítá od adresáře soupisky)")
            elif not os.access(candidate, os.R_OK):
                problems.add(line, "identity", f"soubor s klíčem „{_short(identity)}“ nejde číst (práva)")
            else:
                key_path = str(candidate)
    if project:
        if kind == "url":
            problems.add(line, "project", f"u cíle {_short(target)} se projekt nezadává (sloupec nechte prázdný)")
        elif not project.startswith("/") or re.search(r"[\x00-\x1f\x7f]", project):
            problems.add(line, "project", f"„{_short(project)}“ není absolutní cesta k adresáři projektu "
                                          "(např. /srv/my_project)")
    if len(problems.items) > before or kind is None:
        return None
    return RosterEntry(line=line, name=name, student_id=student_id, target=target, identity=key_path, kind=kind,
                       project=project or None)


_FORMS = "ssh://uživatel@stroj[:port], vagrant:JMÉNO, https://adresa"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------ Vagrant classroom
def vagrant_machine_names(count: int) -> list[str]:
    """The machine names the Vagrantfile defines for KURZ_STUDENTS=count (student01 …)."""
    return [f"student{i:02d}" for i in range(1, count + 1)]


def vagrant_roster(count: int) -> str:
    """A roster for the classroom Vagrantfile (KURZ_STUDENTS=count); the teacher fills in the names."""
    if count < 1 or count > 200:
        raise CheckerError(f"Počet studentských strojů {count} není v rozsahu 1 až 200.",
                           "Zadejte např. `./kurz roster --vagrant 12`.")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS[:4])  # no project column: the course's directory
    for name in vagrant_machine_names(count):
        writer.writerow([f"Student {name[-2:]}", name, f"vagrant:{name}", ""])
    return out.getvalue()


def classroom_size(entries: list[RosterEntry]) -> int:
    """The KURZ_STUDENTS a roster's vagrant:studentNN targets need (0 when there are none)."""
    numbers = [int(m.group(1)) for e in entries if e.kind == "vagrant"
               for m in [re.fullmatch(r"vagrant:student(\d+)", e.target)] if m]
    return max(numbers, default=0)
