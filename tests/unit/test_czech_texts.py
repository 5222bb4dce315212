"""Every text a student or teacher reads is Czech, and a number agrees with the noun after it.

Scanned: checkers/texts/*.toml, exercises/course.toml, the book's pages (book/**/*.md, code
left out), and the Czech string literals of checkers/report/terminal.py, the grading reports and
lab/. Two detectors, each tested on a known-bad and a known-good sentence:

* English leftovers: common English words in running text (code, commands, URLs and
  placeholders are left out first);
* plural agreement: "N noun" where the noun's form does not fit N ("1 souborů", "Všech 1 kontrol"),
  and a count placeholder followed by a fixed noun form in the texts ("{count} souborů", which
  must be "{count|soubor|soubory|souborů}") or in an f-string ("{n} kroků", which must use plural()).
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# noun: (forms for 1, forms for 2–4, forms for 0 and 5+, genitive singular after "z 1", "u 1" …)
NOUNS = {
    "soubor": ({"soubor"}, {"soubory"}, {"souborů"}, {"souboru"}),
    "kontrola": ({"kontrola", "kontrolu"}, {"kontroly"}, {"kontrol"}, {"kontroly"}),
    "krok": ({"krok"}, {"kroky"}, {"kroků"}, {"kroku"}),
    "bod": ({"bod"}, {"body"}, {"bodů"}, {"bodu"}),
    "worker": ({"worker"}, {"workery", "workeři"}, {"workerů"}, {"workeru"}),
    "jádro": ({"jádro"}, {"jádra"}, {"jader"}, {"jádra"}),
    "minuta": ({"minuta", "minutu"}, {"minuty"}, {"minut"}, {"minuty"}),
    "sekunda": ({"sekunda", "sekundu"}, {"sekundy"}, {"sekund"}, {"sekundy"}),
    "znak": ({"znak"}, {"znaky"}, {"znaků"}, {"znaku"}),
    "student": ({"student", "studenta"}, {"studenti", "studenty"}, {"studentů"}, {"studenta"}),
    "stroj": ({"stroj"}, {"stroje"}, {"strojů"}, {"stroje"}),
    "požadavek": ({"požadavek"}, {"požadavky"}, {"požadavků"}, {"požadavku"}),
    "migrace": ({"migrace"}, {"migrace"}, {"migrací"}, {"migrace"}),
    "adresa": ({"adresa", "adresu"}, {"adresy"}, {"adres"}, {"adresy"}),
    "nápověda": ({"nápověda", "nápovědu"}, {"nápovědy"}, {"nápověd"}, {"nápovědy"}),
    "kapitola": ({"kapitola", "kapitolu"}, {"kapitoly"}, {"kapitol"}, {"kapitoly"}),
    "hodina": ({"hodina", "hodinu"}, {"hodiny"}, {"hodin"}, {"hodiny"}),
    "řádek": ({"řádek"}, {"řádky"}, {"řádků"}, {"řádku"}),
    "proces": ({"proces"}, {"procesy"}, {"procesů"}, {"procesu"}),
    "obraz": ({"obraz"}, {"obrazy"}, {"obrazů"}, {"obrazu"}),
}
FORMS = {form: noun for noun, cases in NOUNS.items() for forms in cases for form in forms}
# After these the count is in the genitive ("z 1 kontroly", "u 2 kroků").
GENITIVE = {"z", "ze", "u", "od", "do", "bez", "místo", "kolem", "okolo", "během"}
# After these the case is not decided by the count alone (na 2 jádrech / na 2 minuty): not judged.
AMBIGUOUS = {"na", "v", "ve", "po", "o", "při", "za", "před", "nad", "pod", "mezi", "k", "ke", "s", "se", "o"}
# "port 80 stroje", "krok 3 kurzu": the number is a name, not a count.
NAMING = {"port", "portu", "portem", "porty", "kód", "kódem", "verze", "python", "debian", "django", "krok",
          "kroku", "step", "číslo", "č", "http", "stav", "rok", "roku", "kapitola", "kapitole", "kapitoly",
          "cvičení", "nápověda", "řádek", "řádku", "postgresql", "chmod", "práva", "právy", "mode"}
COUNT = re.compile(r"(?<![\w.,:/\-])(\d+)(?![\w.,:/]\d|\w)\s+(\w+)")

ENGLISH = re.compile(r"\b(the|and|of|is|are|with|without|for|should|must|please|error|warning|failed|passed|"
                     r"skipped|found|missing|not|this|that|your|you|will|cannot|could|step|steps|usage|options|"
                     r"exercise|hint|hints|show|hide|copy|next|previous|search|contents|download|page|click|"
                     r"here|yet|done)\b", re.IGNORECASE)
# Placeholders and expressions that hold a count (not a path, a name or a URL).
COUNT_LIKE = re.compile(r"count|len\(|sum\(|^n$|total|number|files|workers|cpus|length|distinct|requests|"
                        r"minimum|missing|passed|done|graded|students|max_|seconds", re.IGNORECASE)
CZECH_LETTERS = re.compile(r"[áčďéěíňóřšťúůýž]", re.IGNORECASE)


def count_agreement_problems(text: str) -> list[str]:
    """"N noun" pairs whose noun form does not fit the count."""
    problems = []
    for match in COUNT.finditer(text):
        number, word = int(match.group(1)), match.group(2)
        noun = FORMS.get(word.lower())
        if noun is None:
            continue
        before = re.findall(r"[\wě]+", text[max(0, match.start() - 30):match.start()])
        previous = before[-1].lower() if before else ""
        if previous in AMBIGUOUS or previous in NAMING:
            continue
        one, few, many, genitive_one = NOUNS[noun]
        if previous in GENITIVE:
            allowed = genitive_one if number == 1 else many
        else:
            allowed = one if number == 1 else few if 2 <= number <= 4 else many
        if word.lower() not in allowed:
            problems.append(f"„{match.group(0)}“ (správně: {number} {sorted(allowed)[0]})")
    return problems


def placeholder_problems(text: str) -> list[str]:
    """A count placeholder followed by a fixed noun form: "{count} souborů" (texts) / "{n} kroků" (code)."""
    problems = []
    for match in re.finditer(r"\{([^{}|]+)\}[ \t]+(\w+)", text):
        if match.group(2).lower() in FORMS and "plural" not in match.group(1) and COUNT_LIKE.search(match.group(1)):
            problems.append(f"„{match.group(0)}“ (tvar podle čísla: {{{match.group(1)}|…|…|…}} nebo plural())")
    return problems


def running_text(text: str) -> str:
    """Text without what is not prose: code, commands, URLs, placeholders, MyST/HTML markup."""
    text = re.sub(r"^(```|~~~).*?^\1\s*$", " ", text, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"`[^`\n]*`", " ", text)
    # a link's text is prose when it is Czech, a quoted title (of English documentation) otherwise
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) if CZECH_LETTERS.search(m.group(1)) else " ", text)
    text = re.sub(r"<[^>\n]+>", " ", text)
    text = re.sub(r"\]\([^)]*\)|https?://\S+|\{[^{}\n]*\}|:\w+:", " ", text)
    text = re.sub(r"^\s*(:::|:\w+:|\(\w[\w-]*\)=|#\s*noqa).*$", " ", text, flags=re.MULTILINE)
    # quoted messages of other programs („Server Error (500)“, *permission denied*), HTTP reasons,
    # file names (error.log) and header names (X-Frame-Options) are quotations, not our words
    text = re.sub(r"„[^“]*“|\*[^*\n]+\*|\b\d{3}( [A-Z][A-Za-z]+)+( [a-z]+)*|\b[\w-]+\.(log|py|txt|conf|toml|json)\b"
                  r"|\b[A-Z]\w*(-[A-Z]\w*)+\b", " ", text)
    return text


def english_problems(text: str) -> list[str]:
    prose = running_text(text)
    return [f"„{m.group(0)}“ v: {prose[max(0, m.start() - 40):m.end() + 40].strip()!r}" for m in ENGLISH.finditer(prose)]


# ------------------------------------------------------------------------------- what is read
def toml_strings(path: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(value, where: str):
        if isinstance(value, str):
            found.append((where, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")

    walk(tomllib.loads(path.read_text(encoding="utf-8")), str(path.relative_to(REPO)))
    return found


def czech_literals(path: Path) -> list[tuple[str, str]]:
    """String literals and f-string templates with Czech letters (what the program prints)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if id(node) in docstrings:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                           for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if CZECH_LETTERS.search(text):
            found.append((f"{path.relative_to(REPO)}:{node.lineno}", text))
    return found


def texts_a_user_reads() -> list[tuple[str, str, str]]:
    """(where, text, kind) with kind "data" (toml), "page" (Markdown) or "code" (Python literal)."""
    texts = [(w, t, "data") for p in sorted((REPO / "checkers" / "texts").glob("*.toml")) for w, t in toml_strings(p)]
    texts += [(w, t, "data") for w, t in toml_strings(REPO / "exercises" / "course.toml")]
    pages = [p for p in (REPO / "book").rglob("*.md") if "_build" not in p.parts and p.name != "README.md"]
    texts += [(str(p.relative_to(REPO)), p.read_text(encoding="utf-8"), "page") for p in sorted(pages)]
    code = [REPO / "checkers" / "report" / "terminal.py", *sorted((REPO / "checkers" / "grading").glob("*.py")),
            REPO / "checkers" / "cli.py", *sorted((REPO / "lab").glob("*.py"))]
    texts += [(w, t, "code") for p in code for w, t in czech_literals(p)]
    return texts


# ----------------------------------------------------------------------------------- the scans
def test_every_count_agrees_with_its_noun():
    problems = [f"{where}: {p}" for where, text, kind in texts_a_user_reads()
                for p in count_agreement_problems(running_text(text) if kind != "code" else text)]
    assert problems == []


def test_no_count_placeholder_is_followed_by_a_fixed_noun_form():
    problems = [f"{where}: {p}" for where, text, kind in texts_a_user_reads() if kind != "page"
                for p in placeholder_problems(text)]
    assert problems == []


def test_no_english_leftovers_in_what_a_user_reads():
    problems = [f"{where}: {p}" for where, text, kind in texts_a_user_reads() if kind != "code"
                for p in english_problems(text)]
    assert problems == []


def test_the_scan_reads_all_kinds_of_text():
    kinds = {kind for _, _, kind in texts_a_user_reads()}
    wheres = " ".join(where for where, _, _ in texts_a_user_reads())
    assert kinds == {"data", "page", "code"}
    assert "checks.toml" in wheres and "course.toml" in wheres and "terminal.py" in wheres and "lab/" in wheres


# ------------------------------------------------------------------------- the detectors, both ways
@pytest.mark.parametrize("bad", ["Všech 1 kontrol prošlo", "prošlo 0 z 1 kontrol", "chybí 1 souborů",
                                 "1 workerů na 2 jádrech", "V STATIC_ROOT chybí 3 souborů", "zbývá 5 kroky"])
def test_wrong_agreement_is_found(bad):
    assert count_agreement_problems(bad)


@pytest.mark.parametrize("good", ["Jediná kontrola prošla", "prošlo 0 z 1 kontroly", "chybí 1 soubor",
                                  "1 worker na 2 jádrech", "chybí 3 soubory", "zbývá 5 kroků", "port 80 stroje",
                                  "Python 3.11 kroky", "prošly 2 z 5 kontrol"])
def test_right_agreement_passes(good):
    assert count_agreement_problems(good) == []


def test_a_fixed_noun_after_a_count_placeholder_is_found():
    assert placeholder_problems("V STATIC_ROOT chybí {count} souborů.")
    assert placeholder_problems("splněno {done} z {total} kroků")
    assert placeholder_problems("V STATIC_ROOT chybí {count|soubor|soubory|souborů}.") == []
    assert placeholder_problems("splněno {done} z {plural(total, 'kroku', 'kroků', 'kroků')}") == []


def test_english_is_found_outside_code_only():
    assert english_problems("Cvičení: run the checker and see the result.")
    assert english_problems("Spusťte `./kurz step3` a pak `check --deploy`.") == []
    assert english_problems("```sh\n./kurz hint step3 --more\n```\nHotovo.") == []
    assert english_problems("Django ukáže „Server Error (500)“; NGINX vrátí 404 Not Found (viz error.log).") == []


# ------------------------------------------------------------------- the book's own (Sphinx) strings
LOCALE = REPO / "book" / "_locales" / "cs" / "LC_MESSAGES"
# None left: the theme's and mermaid's hard-coded labels are put in Czech by book/_ext/book_fixes.py.
KNOWN_ENGLISH_LABELS: set[str] = set()
UI_ATTRIBUTE = re.compile(r'\b(title|aria-label|placeholder)="([^"{}]*)"')


ENGLISH_UI_WORDS = re.compile(r"\b(to|this|the|of|link|toggle|sidebar|mode|settings|system|close|main|page|search|"
                              r"fullscreen|term|heading|open|show|hide|download|print|source|copy|back|top|skip|"
                              r"content|contents|navigation|next|previous|version|warning|dark|light|color|edit)\b",
                              re.IGNORECASE)


def english_ui_labels(html: str) -> set[str]:
    return {value for _, value in UI_ATTRIBUTE.findall(html) if ENGLISH_UI_WORDS.search(value)}


def test_sphinx_and_theme_strings_have_czech_translations_compiled():
    import gettext

    from babel.messages.pofile import read_po

    catalog = read_po((LOCALE / "sphinx.po").open("rb"), locale="cs")
    compiled = gettext.GNUTranslations((LOCALE / "sphinx.mo").open("rb"))
    for message in catalog:
        if message.id:
            assert compiled.gettext(message.id) == message.string, f"sphinx.mo is stale: {message.id}"
    assert compiled.gettext("Link to this heading") == "Odkaz na tento nadpis"
    assert {"Color mode", "System Settings"} <= {m.id for m in catalog}


def test_overridden_theme_templates_speak_czech():
    templates = sorted((REPO / "book" / "_templates").glob("*.html"))
    assert templates
    for template in templates:
        assert english_ui_labels(template.read_text(encoding="utf-8")) == set(), template.name


def test_the_english_ui_label_detector_both_ways():
    assert english_ui_labels('<button title="Toggle primary sidebar">') == {"Toggle primary sidebar"}
    assert english_ui_labels('<a title="Odkaz na tento nadpis" aria-label="Obsah knihy">') == set()


def test_the_built_book_has_no_english_ui_labels(tmp_path):
    """A real build (a few seconds) into a private directory; every page's tooltips and labels."""
    from checkers import book

    built = book.build_book(output_dir=tmp_path, env={"CHECKERS_HOME": str(tmp_path / "home")})
    pages = sorted(built.html_dir.rglob("*.html"))
    assert len(pages) > 10
    found = {label: page.name for page in pages for label in english_ui_labels(page.read_text(encoding="utf-8"))}
    assert set(found) - KNOWN_ENGLISH_LABELS == set(), found
    chapter = (built.html_dir / "kapitoly" / "01-debug.html").read_text(encoding="utf-8")
    assert 'title="Odkaz na tento nadpis"' in chapter
    assert '<span class="course-exercise-label">Krok 1</span>' in chapter and "Cvičení step" not in chapter


# ---------------------------------------------------------------------------- known wording defects
WORDING = re.compile(r"kurzovní\w*|Cvičení step\d", re.IGNORECASE)


def test_no_known_wording_defects():
    files = [REPO / "README.md", *(REPO / "book").rglob("*.md"), *(REPO / "checkers").rglob("*.py"),
             *(REPO / "checkers" / "texts").glob("*.toml"), REPO / "exercises" / "course.toml",
             *(REPO / "lab").glob("*.py"), *(REPO / "lab").glob("*.sh"), *(REPO / "tests").rglob("*.py"),
             *(REPO / "book" / "_ext").rglob("*.js"), *(REPO / "scripts").glob("*")]
    found = [f"{p.relative_to(REPO)}: {m.group(0)}" for p in files
             if p.is_file() and "_build" not in p.parts and p.name != Path(__file__).name
             for m in WORDING.finditer(p.read_text(encoding="utf-8", errors="replace"))]
    assert found == []


def test_the_wording_detector_both_ways():
    assert WORDING.search("Startuji kurzovní stroj") and WORDING.search("Cvičení step3")
    assert not WORDING.search("Startuji kurzový stroj · Krok 3")
