"""What every chapter of the book carries besides its text: a diagram with an accessible title and
description (deployment and troubleshooting chapters), an estimated time, and glossary links.

Sources only (no build): the mermaid blocks and front matter are read from book/kapitoly/*.md; the
glossary linker of book/_ext/course_book.py runs on small docutils trees."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from docutils import nodes

from checkers.paths import BOOK_DIR

sys.path.insert(0, str(BOOK_DIR / "_ext"))
import course_book  # noqa: E402  (book/_ext is not a package)

CHAPTERS = BOOK_DIR / "kapitoly"
# The deployment part (01…11), troubleshooting (12) and the other hostings (13, 14).
DIAGRAM_CHAPTERS = [f"{n:02d}" for n in range(1, 15)]
MERMAID_BLOCK = re.compile(r"^```\{mermaid\}[^\n]*\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
CZECH = re.compile(r"[áčďéěíňóřšťúůýž]", re.IGNORECASE)
FRONT_MATTER = re.compile(r"\A---\n(?P<yaml>.*?)\n---\n", re.DOTALL)


def chapter(prefix: str) -> Path:
    [path] = CHAPTERS.glob(f"{prefix}-*.md")
    return path


def diagrams(text: str) -> list[dict]:
    """Each mermaid block's accTitle and accDescr ("" when missing)."""
    found = []
    for block in MERMAID_BLOCK.finditer(text):
        body = block.group("body")
        title = re.search(r"^\s*accTitle:\s*(.+)$", body, re.MULTILINE)
        descr = re.search(r"^\s*accDescr:\s*(.+)$", body, re.MULTILINE)
        found.append({"title": title.group(1).strip() if title else "", "descr": descr.group(1).strip() if descr else ""})
    return found


def diagram_problems(text: str) -> list[str]:
    found = diagrams(text)
    if not found:
        return ["no diagram"]
    out = []
    for i, d in enumerate(found, 1):
        if not d["title"]:
            out.append(f"diagram {i}: no accTitle")
        if len(d["descr"]) < 40 or not CZECH.search(d["descr"]):
            out.append(f"diagram {i}: no Czech accDescr")
    return out


@pytest.mark.parametrize("prefix", DIAGRAM_CHAPTERS)
def test_every_deployment_chapter_has_a_diagram_with_title_and_description(prefix):
    assert diagram_problems(chapter(prefix).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("text, problem", [
    ("# Kapitola\n\nBez obrázku.\n", "no diagram"),
    ("```{mermaid}\nflowchart TD\n    A --> B\n```\n", "diagram 1: no accTitle"),
    ("```{mermaid}\nflowchart TD\n    accTitle: Název\n    A --> B\n```\n", "diagram 1: no Czech accDescr"),
    ("```{mermaid}\nflowchart TD\n    accTitle: Název\n    accDescr: Request path from the browser to Django and back again.\n```\n",
     "diagram 1: no Czech accDescr"),
])
def test_a_diagram_without_title_or_description_is_reported(text, problem):
    assert problem in diagram_problems(text)


def front_matter(path: Path) -> dict:
    import yaml

    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    return yaml.safe_load(match.group("yaml")) if match else {}


@pytest.mark.parametrize("path", sorted(CHAPTERS.glob("*.md")), ids=lambda p: p.stem)
def test_every_chapter_has_an_estimated_time(path):
    minutes = course_book.estimated_minutes(front_matter(path))
    assert minutes is not None and 5 <= minutes <= 120, path.name


@pytest.mark.parametrize("value, expected", [("25", 25), (25, 25), (" 7 ", 7), ("0", None), ("-5", None),
                                             ("půl hodiny", None), (None, None)])
def test_estimated_minutes_accepts_only_a_positive_number(value, expected):
    assert course_book.estimated_minutes({"estimated_minutes": value} if value is not None else {}) == expected


def test_minutes_are_written_in_czech():
    assert [course_book.minutes_cs(n) for n in (1, 3, 5, 20)] == ["1 minuta", "3 minuty", "5 minut", "20 minut"]


# ------------------------------------------------------------------ glossary links

TARGETS = {"soket": ("slovnicek.html#term-soket", "Koncový bod spojení."),
           "worker": ("slovnicek.html#term-worker", "Proces gunicornu.")}
FORMS = {"soket": ("soket", "soketu", "sokety"), "worker": ("worker", "workery", "workerů"),
         "démon": ("démon", "démona")}


def tree(*paragraphs: nodes.Node) -> nodes.document:
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    document = new_document("test", get_default_settings(Parser))
    section = nodes.section()
    section += nodes.title(text="Soket a worker v nadpisu")
    for paragraph in paragraphs:
        section += paragraph
    document += section
    return document


def links(document: nodes.document) -> list[tuple[str, str]]:
    return [(ref.astext(), ref["refuri"]) for ref in document.findall(nodes.reference)]


def test_the_first_use_of_a_term_on_a_page_links_to_the_glossary():
    document = tree(nodes.paragraph(text="NGINX předá požadavek přes soket gunicornu."),
                    nodes.paragraph(text="Gunicorn má tři workery; každý soket je soubor. Workerů může být víc."))
    linked = course_book.link_glossary_terms(document, TARGETS, FORMS)
    assert linked == ["soket", "worker"]
    assert links(document) == [("soket", "slovnicek.html#term-soket"), ("workery", "slovnicek.html#term-worker")]
    first = next(document.findall(nodes.reference))
    assert "course-term" in first["classes"] and first["reftitle"] == "Koncový bod spojení."
    # The sentence around the link is intact.
    assert document.children[0].children[1].astext() == "NGINX předá požadavek přes soket gunicornu."


def test_code_headings_links_and_other_words_are_not_linked():
    code = nodes.paragraph()
    code += nodes.literal(text="/tmp/gunicorn.sock soket")
    code += nodes.Text(" a ")
    existing = nodes.reference("", "soket", refuri="https://example.org/")
    code += existing
    document = tree(code, nodes.paragraph(text="Soketový a sokety-like nejsou slova z glosáře; démon v něm není."))
    assert course_book.link_glossary_terms(document, TARGETS, FORMS) == []
    assert links(document) == [("soket", "https://example.org/")]


def test_every_glossary_term_is_on_the_glossary_page():
    text = (BOOK_DIR / f"{course_book.GLOSSARY_DOC}.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1]
    terms = {line.strip() for line in block.splitlines() if line and not line.startswith((" ", "`"))}
    assert set(course_book.GLOSSARY_FORMS) <= terms
    assert {"reverzní proxy", "soket", "démon", "worker"} <= terms
