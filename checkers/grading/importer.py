"""Reading submission files for `grade --import PATH`: a folder, one file, or Moodle's zip.

Moodle's "Stáhnout všechna odevzdání" (download all submissions) gives a zip with one folder per
student, "Jana Nováková_12345_assignsubmission_file_/kurz-odevzdani-….json", or (with folders turned
off) flat files "Jana Nováková_12345_assignsubmission_file_kurz-odevzdani-….json". The student's
name is taken from there (Moodle knows who uploaded); else from the document's "student" entry
that `submit` writes for a joined student.

Nothing is ever extracted to disk: members are read into memory with a size limit each. An archive
with a path leaving it (zip slip: "../", an absolute path, a drive letter), too many entries or too
much data in total, or a file that is no zip, is refused as a whole (CheckerError, exit 2): Moodle
never makes one. Any single bad file (not JSON, not a submission, too big, unreadable) is listed with
its Czech reason and the rest goes on.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from checkers.errors import CheckerError
from checkers.texts import plural

MAX_INPUT = 512 * 1024 * 1024  # bytes of a zip file (a class of 300 is a few MiB)
MAX_TOTAL = 1024 * 1024 * 1024  # bytes of all files together, uncompressed
MAX_FILES = 10_000  # entries of a zip or files of a folder
MAX_FILE = 8 * 1024 * 1024  # one submission file (the class server's decompressed limit)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assign(?:submission|feedback)_(?P<plugin>[a-z]+)_(?P<rest>.*)$",
                    re.DOTALL)
JUNK = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")  # what zipping on macOS/Windows adds


@dataclass
class Candidate:
    """One file to import, read into memory."""

    path: str  # as shown to the teacher (inside the archive or relative to the folder)
    data: bytes | None = None
    problem: str = ""  # Czech reason when the file cannot be read
    moodle_name: str = ""  # the student's name from Moodle's folder or file name


@dataclass
class Submission:
    """A valid, masked submission document with who made it."""

    path: str
    doc: dict
    name: str  # from Moodle, else from the document
    created_at: str


@dataclass
class Reading:
    submissions: list[Submission] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, Czech reason)


def read_input(path: Path) -> list[Candidate]:
    """The files of a folder, a zip, or a single submission file; CheckerError for an input refused whole."""
    try:
        mode = os.stat(path).st_mode  # the teacher's own link to a folder is followed; links inside are not
    except FileNotFoundError as exc:
        raise CheckerError(f"{path} zadaný v --import neexistuje.",
                           "Zadejte složku se soubory odevzdání, nebo ZIP stažený z Moodlu (Stáhnout všechna "
                           "odevzdání).") from exc
    except OSError as exc:
        raise CheckerError(f"{path} zadaný v --import nejde přečíst: {exc.strerror}.", "Zkontrolujte cestu a práva.") from exc
    if stat.S_ISDIR(mode):
        return read_folder(path)
    if not stat.S_ISREG(mode):
        raise CheckerError(f"{path} zadaný v --import není složka ani obyčejný soubor.",
                           "Zadejte složku se soubory odevzdání, nebo ZIP stažený z Moodlu.")
    if zipfile.is_zipfile(path):
        return read_zip(path)
    size = os.path.getsize(path)
    head = _read(path, min(size, MAX_FILE))
    if size <= MAX_FILE and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return [Candidate(path.name, head, moodle_name=_moodle_name(path.name))]
    raise CheckerError(f"{path} zadaný v --import není složka, ZIP ani soubor odevzdání.",
                       "Zadejte složku se soubory odevzdání, nebo ZIP stažený z Moodlu (Úkol → Zobrazit všechna "
                       "odevzdání → Stáhnout všechna odevzdání).")


def _read(path: Path, limit: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError as exc:
        raise CheckerError(f"Soubor {path} nejde přečíst: {exc.strerror}.", "Zkontrolujte práva k souboru.") from exc


def read_folder(root: Path) -> list[Candidate]:
    found: list[Candidate] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in JUNK)
        for name in sorted(files):
            if name in JUNK or name.startswith("._"):
                continue
            full = Path(folder) / name
            shown = full.relative_to(root).as_posix()
            if len(found) >= MAX_FILES:
                raise CheckerError(f"Složka {root} má víc než {plural(MAX_FILES, 'soubor', 'soubory', 'souborů')}, "
                                   "to nejsou odevzdání jednoho úkolu.", "Zadejte složku s odevzdáními jednoho úkolu.")
            moodle = next((_moodle_name(part) for part in Path(shown).parts if _moodle_name(part)), "")
            if _not_a_file_submission(Path(shown).parts):
                continue
            try:
                info = os.lstat(full)
            except OSError as exc:
                found.append(Candidate(shown, problem=f"nejde přečíst ({exc.strerror})"))
                continue
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
                found.append(Candidate(shown, problem="není obyčejný soubor (odkaz nebo zařízení), přeskočen"))
            elif info.st_size > MAX_FILE:
                found.append(Candidate(shown, problem=_too_big(info.st_size)))
            else:
                try:
                    found.append(Candidate(shown, _read_limited(full), moodle_name=moodle))
                except OSError as exc:
                    found.append(Candidate(shown, problem=f"nejde přečíst ({exc.strerror})"))
    return found


def _read_limited(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(MAX_FILE + 1)


def read_zip(path: Path) -> list[Candidate]:
    size = os.path.getsize(path)
    if size > MAX_INPUT:
        raise CheckerError(f"ZIP {path} má {size // (1024 * 1024)} MiB, víc než {MAX_INPUT // (1024 * 1024)} MiB: "
                           "tolik odevzdání jeden úkol nemá.", "Zkontrolujte, že jde o ZIP stažený z Moodlu.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckerError(f"{path} není čitelný ZIP ({exc}).", "Stáhněte odevzdání z Moodlu znovu.") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_FILES:
            raise CheckerError(f"ZIP {path} má víc než {plural(MAX_FILES, 'položku', 'položky', 'položek')}, "
                               "takový archiv nezpracuji.", "Zkontrolujte, že jde o ZIP stažený z Moodlu.")
        for info in infos:
            unsafe = unsafe_member(info.filename)
            if unsafe:
                raise CheckerError(f"ZIP {path} obsahuje nebezpečnou cestu „{_printable(info.filename)}“ ({unsafe}); "
                                   "takový archiv nezpracuji, nic z něj jsem neuložil.",
                                   "Moodle takové cesty nevytváří. Stáhněte odevzdání z Moodlu znovu.")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL:
            raise CheckerError(f"ZIP {path} by se rozbalil na {total // (1024 * 1024)} MiB, víc než "
                               f"{MAX_TOTAL // (1024 * 1024)} MiB; takový archiv nezpracuji.",
                               "Zkontrolujte, že jde o ZIP stažený z Moodlu.")
        found = []
        for info in infos:
            info.filename = _utf8_name(info)
            if info.is_dir() or any(part in JUNK or part.startswith("._") for part in info.filename.split("/")):
                continue
            shown = _printable(info.filename)
            moodle = next((_moodle_name(p) for p in info.filename.split("/") if _moodle_name(p)), "")
            if _not_a_file_submission(info.filename.split("/")):
                continue  # Moodle's online text or feedback of the same assignment: not for us
            if info.flag_bits & 0x1:
                found.append(Candidate(shown, problem="je zašifrovaný heslem"))
            elif info.file_size > MAX_FILE:
                found.append(Candidate(shown, problem=_too_big(info.file_size)))
            else:
                try:
                    with archive.open(info) as member:
                        data = member.read(MAX_FILE + 1)  # the header's size may lie: read at most this
                except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError, RuntimeError,
                        ValueError) as exc:  # zlib errors arrive as zipfile/zlib exceptions
                    found.append(Candidate(shown, problem=f"nejde rozbalit ({_printable(str(exc))[:120]})"))
                    continue
                except Exception as exc:  # noqa: BLE001  (zlib.error and other corruption)
                    found.append(Candidate(shown, problem=f"nejde rozbalit ({type(exc).__name__})"))
                    continue
                found.append(Candidate(shown, data, moodle_name=moodle))
        return found


def _utf8_name(info: zipfile.ZipInfo) -> str:
    """A member's name: zip tools that write UTF-8 without the UTF-8 flag get read as cp437 by Python,
    so "Jana Nováková" would not match the roster; such names are decoded again as UTF-8."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def unsafe_member(name: str) -> str:
    """Why a zip member's path would leave the archive ("" when it is safe)."""
    if "\x00" in name:
        return "nulový znak"
    if name.startswith(("/", "\\")):
        return "absolutní cesta"
    if re.match(r"^[A-Za-z]:", name):
        return "cesta s písmenem disku"
    if any(part == ".." for part in re.split(r"[/\\]", name)):
        return "vede mimo archiv přes .."
    return ""


def _not_a_file_submission(parts) -> bool:
    plugins = [m.group("plugin") for m in (MOODLE.match(p) for p in parts) if m]
    return bool(plugins) and plugins[0] != "file"


def _moodle_name(part: str) -> str:
    match = MOODLE.match(part)
    return " ".join(match.group("name").split()) if match else ""


def _too_big(size: int) -> str:
    return f"je příliš velký ({size // 1024} KiB, soubor odevzdání má nejvýš {MAX_FILE // (1024 * 1024)} MiB)"


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)[:300]


# ------------------------------------------------------------------------------------ parsing
def parse(candidates: list[Candidate]) -> Reading:
    """Valid, masked submissions; every other file refused with its reason. Duplicates (the same
    document id twice) are read once."""
    from checkers import class_protocol as protocol

    reading = Reading()
    seen: dict[str, str] = {}
    for candidate in candidates:
        if candidate.problem:
            reading.refused.append((candidate.path, candidate.problem))
            continue
        data = candidate.data or b""
        if len(data) > MAX_FILE:
            reading.refused.append((candidate.path, _too_big(len(data))))
            continue
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            reading.refused.append((candidate.path, "není text v UTF-8 (není to soubor odevzdání)"))
            continue
        except RecursionError:
            reading.refused.append((candidate.path, "JSON je příliš hluboce zanořený"))
            continue
        except ValueError as exc:
            reading.refused.append((candidate.path, f"není platný JSON ({_printable(str(exc))[:80]})"))
            continue
        ok, reason = protocol.validate(doc)
        if not ok:
            reading.refused.append((candidate.path, reason))
            continue
        if not isinstance(doc["facts"], dict) or doc["facts"].get("schema") != 1:
            reading.refused.append((candidate.path, "fakta v souboru nejsou fakta checkeru ve verzi 1"))
            continue
        name = candidate.moodle_name or _document_name(doc)
        if not name:
            reading.refused.append((candidate.path, "nejde určit studenta: soubor není ze ZIPu z Moodlu a jméno "
                                                    "v něm není (student nebyl přihlášený ke třídě)"))
            continue
        if doc["id"] in seen:
            reading.refused.append((candidate.path, f"stejné odevzdání jako {seen[doc['id']]} (načteno jednou)"))
            continue
        seen[doc["id"]] = candidate.path
        clean = protocol.mask_document(protocol.normalize(doc))
        reading.submissions.append(Submission(candidate.path, clean, name, clean["created_at"]))
    return reading


def _document_name(doc: dict) -> str:
    student = doc.get("student")
    name = student.get("name") if isinstance(student, dict) else None
    if not isinstance(name, str):
        return ""
    name = " ".join(name.split())
    return name if 0 < len(name) <= 120 and name.isprintable() else ""
