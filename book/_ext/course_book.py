"""The course in the book: exercise blocks, the progress bar, and progress.js.

Directives (MyST):

    ```{exercise} step3
    What to do (MyST text, written in the chapter).
    ```

renders, from the course data (exercises/course.toml, the one source), the step's
title, points, the exact checker command, a status badge, the tiered hints
(revealed one at a time by _static/course.js) and the reference solution
(exercises/<solution>) behind a <details> toggle.

    ```{course-progress}
    ```
    ```{course-overview}
    ```

render the course progress bar and the table of all steps with their badges.

A passed exercise offers a link to the next one (course order); a chapter whose front matter
has `estimated_minutes: N` shows the estimated time under its title; the first use of a
glossary term on a page (GLOSSARY_FORMS, any listed word form) links to its entry on the
glossary page (slovnicek.md).

The badges and bars are filled in the browser by _static/course.js from
`window.COURSE_PROGRESS`, which lives in <html>/_static/progress.js. The checker
rewrites that file after every run (no rebuild); this extension writes it at the
end of every build through checkers.progress, so a clean rebuild restores it.

Longer than 400 lines: one Sphinx extension; its directives, roles and build hooks register with
one `setup()` and share the course data loaded once per build.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

if TYPE_CHECKING:
    from checkers.course import Step

BOOK_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BOOK_DIR.parent
STATIC_DIR = Path(__file__).resolve().parent / "static"

# The checker package lives at the repository root; make it importable however the
# book is built (jupyter-book CLI, `./kurz book`, tests).
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

logger = logging.getLogger(__name__)

SOLUTION_LANGUAGES = {".sh": "bash", ".py": "python", ".sql": "sql", ".conf": "nginx", ".service": "ini"}


# --------------------------------------------------------------------------- course data


def course_file() -> Path:
    from checkers.paths import COURSE_FILE

    return COURSE_FILE


def load_exercises(path: Path | None = None) -> dict:
    """The course's steps (checkers.course.Step) by id, through the checker's own loader (one source)."""
    from checkers.course import load_course

    return {step.id: step for step in load_course(path or course_file()).steps}


def course_totals() -> tuple[int, int]:
    """(total_points, total_steps) of the required steps, as checkers.progress.book_data counts them."""
    from checkers.course import load_course

    course = load_course(course_file())
    return course.total_points, len(course.required_steps)


def points_cs(n: int) -> str:
    from checkers.texts import plural

    return plural(n, "bod", "body", "bodů")


def hints_cs(n: int) -> str:
    from checkers.texts import plural

    return plural(n, "nápověda", "nápovědy", "nápověd")


def minutes_cs(n: int) -> str:
    from checkers.texts import plural

    return plural(n, "minuta", "minuty", "minut")


def anchor(step_id: str) -> str:
    return f"cviceni-{step_id}"


def _exercises(env) -> dict[str, Step]:
    data = getattr(env.app, "course_exercises_data", None)
    if data is None:
        data = load_exercises()
        env.app.course_exercises_data = data
    return data


# --------------------------------------------------------------------------- nodes


class course_element(nodes.General, nodes.Element):
    """A generic HTML element with a tag, classes and data-* attributes."""


class course_link(nodes.General, nodes.Inline, nodes.TextElement):
    """A link to a step's exercise on its page, resolved per output page."""


def visit_course_element(self, node: course_element) -> None:
    attributes = {f"data-{key}": value for key, value in node.get("data", {}).items()}
    if node.get("hidden_attr"):
        attributes["hidden"] = "hidden"
    self.body.append(self.starttag(node, node["tag"], "", **attributes))


def depart_course_element(self, node: course_element) -> None:
    self.body.append(f"</{node['tag']}>")


def _pass(self, node) -> None:
    pass


def element(tag: str, classes: list[str], data: dict | None = None, **kwargs) -> course_element:
    node = course_element(tag=tag, classes=classes, data=data or {}, **kwargs)
    return node


def badge(step_id: str, max_points: int) -> course_element:
    node = element("span", ["course-badge", "course-badge-unknown"], {"step": step_id, "max-points": str(max_points)})
    node += element("span", ["course-badge-state"])
    node[0] += nodes.Text("○ zatím neověřeno")
    return node


# --------------------------------------------------------------------------- directives


class ExerciseDirective(SphinxDirective):
    """```{exercise} step3 — one step of the course, rendered from the course data."""

    required_arguments = 1
    has_content = True
    option_spec = {"class": directives.class_option}

    def run(self) -> list[nodes.Node]:
        step_id = self.arguments[0].strip()
        self.env.note_dependency(str(course_file()))
        exercises = _exercises(self.env)
        step = exercises.get(step_id)
        if step is None:
            known = ", ".join(exercises)
            logger.warning("Cvičení „%s“ není v datech kurzu (%s). Známé kroky: %s",
                           step_id, course_file(), known, location=self.get_location(), type="course", subtype="exercise")
            box = nodes.admonition(classes=["error"])
            box += nodes.title(text="Neznámé cvičení")
            box += nodes.paragraph(text=f"Krok „{step_id}“ v datech kurzu není. Známé kroky: {known}.")
            return [box]

        registry = self.env.course_exercise_docs  # step id -> docname
        if step_id in registry and registry[step_id] != self.env.docname:
            logger.warning("Cvičení „%s“ je v knize dvakrát (také v %s).", step_id, registry[step_id],
                           location=self.get_location(), type="course", subtype="exercise")
        registry[step_id] = self.env.docname

        kind = "Bonusové cvičení" if step.optional else "Cvičení"
        root = element("section", ["course-exercise"] + self.options.get("class", []),
                       {"step": step_id, "points": str(step.points)}, ids=[anchor(step_id)])

        head = element("div", ["course-exercise-head"])
        label = element("span", ["course-exercise-label"])
        # as the terminal names the step ("Krok 3"); a bonus step has a word for an id, its title says the rest
        label += nodes.Text(step.label if step.number is not None else kind)
        title = element("span", ["course-exercise-title"])
        title += nodes.Text(step.title)
        points = element("span", ["course-exercise-points"])
        points += nodes.Text(points_cs(step.points))
        head += [label, title, points]
        root += head

        status = element("div", ["course-exercise-status"])
        status += badge(step_id, step.points)
        status += element("div", ["course-failed"], {"step": step_id}, hidden_attr=True)
        status += self._next(step_id, exercises)
        root += status

        body = element("div", ["course-exercise-body"])
        if self.content:
            self.state.nested_parse(self.content, self.content_offset, body)
        root += body

        check = element("div", ["course-exercise-check"])
        check += nodes.paragraph(text="Až budete hotovi, ověřte krok checkerem (na svém počítači, v adresáři kurzu):")
        command = nodes.literal_block(step.command, step.command, language="sh")
        check += command
        root += check

        if step.hints:
            root += self._hints(step)
        root += self._solution(step)
        return [root]

    @staticmethod
    def _next(step_id: str, exercises: dict) -> course_element:
        """The link to the following exercise in course order, shown by course.js once this one passed."""
        order = list(exercises)
        following = exercises[order[order.index(step_id) + 1]] if order.index(step_id) + 1 < len(order) else None
        box = element("div", ["course-next"], {"step": step_id}, hidden_attr=True)
        text = nodes.paragraph()
        box += text
        if following is None:
            text += nodes.Text("Splněno! Tohle bylo poslední cvičení kurzu.")
            return box
        text += nodes.Text("Splněno! Pokračujte dalším cvičením: ")
        link = course_link(docname=following.section, anchor=anchor(following.id))
        link += nodes.Text(following.title + " →")
        text += link
        return box

    def _hints(self, step: Step) -> course_element:
        total = len(step.hints)
        wrapper = element("div", ["course-hints"], {"step": step.id, "total": str(total)})
        heading = nodes.paragraph(classes=["course-hints-title"])
        heading += nodes.strong(text="Nápovědy")
        heading += nodes.Text(f" ({hints_cs(total)}) – odkrývejte je postupně, jednu po druhé. V terminálu je ukáže ")
        heading += nodes.literal(text=f"./kurz hint {step.id}")
        heading += nodes.Text(".")
        wrapper += heading
        for tier, text in enumerate(step.hints, start=1):
            hint = element("div", ["course-hint"], {"tier": str(tier)})
            label = nodes.paragraph(classes=["course-hint-label"])
            label += nodes.Text(f"Nápověda {tier}/{total}")
            hint += label
            self.state.nested_parse(StringList(text.splitlines(), source=str(course_file())), 0, hint)
            wrapper += hint
        wrapper += nodes.raw(
            "",
            f'<button type="button" class="course-hint-button" data-step="{step.id}">'
            f"Ukázat nápovědu 1/{total}</button>",
            format="html",
        )
        return wrapper

    def _solution(self, step: Step) -> course_element:
        details = element("details", ["course-solution"], {"step": step.id})
        summary = element("summary", ["course-solution-summary"])
        summary += nodes.Text("Ukázat referenční řešení")
        details += summary
        path = course_file().parent / step.solution
        shown = f"exercises/{step.solution}"
        self.env.note_dependency(str(path))  # a missing file keeps the page outdated until it appears
        if path.is_file():
            details += nodes.paragraph(
                text=f"Takhle krok udělá referenční řešení ({shown}; běží na kurzovém stroji jako uživatel vagrant). "
                "Zkuste to nejdřív sami – z řešení se naučíte míň než z vlastní chyby."
            )
            code = path.read_text(encoding="utf-8")
            block = nodes.literal_block(code, code, language=SOLUTION_LANGUAGES.get(path.suffix, "text"))
            details += block
        else:
            logger.warning("Referenční řešení kroku %s (%s) zatím neexistuje.", step.id, path,
                           location=self.get_location(), type="course", subtype="solution")
            details += nodes.paragraph(
                text=f"Referenční řešení tohoto kroku zatím není k dispozici (soubor {shown} chybí). "
                "Pomůžou vám nápovědy výše a výstup checkeru."
            )
        return details


class CourseProgressDirective(SphinxDirective):
    """```{course-progress} — the course progress bar (filled in by course.js)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(course_file()))
        total_points, total_steps = course_totals()
        return [progress_widget(total_points, total_steps, ["course-progress-main"])]


def progress_widget(total_points: int, total_steps: int, extra_classes: list[str]) -> course_element:
    root = element("div", ["course-progress"] + extra_classes,
                   {"total-points": str(total_points), "total-steps": str(total_steps)})
    label = element("div", ["course-progress-label"])
    label += nodes.Text(f"Váš postup: splněné kroky 0/{total_steps} · body 0/{total_points}")
    root += label
    track = element("div", ["course-progress-track"])
    track += element("div", ["course-progress-fill"])
    root += track
    note = element("div", ["course-progress-updated"])
    note += nodes.Text("Zatím neověřeno – postup se ukáže po prvním spuštění checkeru.")
    root += note
    return root


class CourseOverviewDirective(SphinxDirective):
    """```{course-overview} — a table of all steps, linked to their exercises, with badges."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(course_file()))
        exercises = _exercises(self.env)
        table = nodes.table(classes=["course-overview"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (14, 50, 10, 26):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row(["Krok", "Co uděláte", "Body", "Stav"])
        body = nodes.tbody()
        group += body
        for step in exercises.values():
            link = course_link(docname=step.section, anchor=anchor(step.id))
            link += nodes.Text(step.title)
            title = nodes.paragraph()
            title += link
            if step.optional:
                title += nodes.Text(" (bonus)")
            body += self._row([step.id, title, str(step.points), badge(step.id, step.points)])
        return [table]

    @staticmethod
    def _row(cells: list) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, str):
                entry += nodes.paragraph(text=cell)
            elif isinstance(cell, nodes.paragraph):
                entry += cell
            else:
                paragraph = nodes.paragraph()
                paragraph += cell
                entry += paragraph
            row += entry
        return row


# --------------------------------------------------------------------------- events


def _config_inited(app: Sphinx, config) -> None:
    # Our own static dir, added here so jupyter-book's scan of html_static_path never sees it.
    config.html_static_path.append(str(STATIC_DIR))


def _builder_inited(app: Sphinx) -> None:
    app.course_exercises_data = load_exercises()
    if not hasattr(app.env, "course_exercise_docs"):
        app.env.course_exercise_docs = {}


def _purge_doc(app: Sphinx, env, docname: str) -> None:
    registry = getattr(env, "course_exercise_docs", {})
    for step_id in [s for s, doc in registry.items() if doc == docname]:
        del registry[step_id]


def _merge_info(app: Sphinx, env, docnames, other) -> None:
    env.course_exercise_docs.update(getattr(other, "course_exercise_docs", {}))


def _check_consistency(app: Sphinx, env) -> None:
    registry = getattr(env, "course_exercise_docs", {})
    for step in _exercises(env).values():
        if step.id not in registry:
            logger.warning("Krok %s („%s“) nemá v knize cvičení; patří na stránku %s.", step.id, step.title,
                           step.section, type="course", subtype="exercise")
        elif registry[step.id] != step.section:
            logger.warning("Cvičení %s je na stránce %s, data kurzu ho čekají na %s.", step.id,
                           registry[step.id], step.section, type="course", subtype="exercise")


def _resolve_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for link in list(doctree.findall(course_link)):
        children = link.children[:]
        if app.builder.format == "html":
            uri = app.builder.get_relative_uri(docname, link["docname"]) + "#" + link["anchor"]
            ref = nodes.reference("", "", refuri=uri, internal=True)
        else:
            ref = nodes.inline()
        ref += children
        link.replace_self(ref)


# --------------------------------------------------------------------------- estimated time


def estimated_minutes(metadata: dict) -> int | None:
    """The chapter's `estimated_minutes` front matter as a positive int (None when absent or bad)."""
    value = metadata.get("estimated_minutes")
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes if minutes > 0 else None


def _estimated_time(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    raw = app.env.metadata.get(docname, {}).get("estimated_minutes")
    minutes = estimated_minutes(app.env.metadata.get(docname, {}))
    if raw is not None and minutes is None:
        logger.warning("estimated_minutes musí být kladné celé číslo minut, ne %r.", raw,
                       location=docname, type="course", subtype="time")
    section = doctree.next_node(nodes.section)
    if minutes is None or section is None or not isinstance(section[0], nodes.title):
        return
    note = nodes.paragraph(classes=["course-time"])
    # Plain text: an emoji clock is a blank box where no emoji font is installed.
    note += nodes.Text(f"Odhadovaný čas: asi {minutes_cs(minutes)}")
    section.insert(1, note)


# --------------------------------------------------------------------------- glossary links

GLOSSARY_DOC = "slovnicek"
# Glossary term (exactly as on slovnicek.md) -> the Czech word forms that count as a use of it.
GLOSSARY_FORMS: dict[str, tuple[str, ...]] = {
    "reverzní proxy": ("reverzní proxy", "reverzní proxy serveru"),
    "soket": ("soket", "soketu", "soketem", "sokety", "soketů", "soketech"),
    "démon": ("démon", "démona", "démonem", "démoni", "démony", "démonů"),
    "worker": ("worker", "workeru", "workerem", "workery", "workerů", "workerech"),
    "aplikační server": ("aplikační server", "aplikačního serveru", "aplikačním serveru", "aplikační servery"),
    "WSGI": ("WSGI",),
    "ladicí režim": ("ladicí režim", "ladicího režimu", "ladicím režimu", "ladicí režimy"),
    "statické soubory": ("statické soubory", "statických souborů", "statickými soubory", "statickým souborům"),
    "služba systemd": ("služba systemd", "služby systemd", "službu systemd", "službou systemd", "službě systemd"),
    "virtuální prostředí": ("virtuální prostředí", "virtuálního prostředí", "virtuálním prostředí"),
    "port": ("port", "portu", "portem", "porty", "portů"),
    "role": ("role PostgreSQL", "roli PostgreSQL", "rolí PostgreSQL"),
}
# Text inside these is never linked: code, existing links, headings, raw HTML, the exercise chrome.
_NO_LINK_INSIDE = (nodes.literal, nodes.literal_block, nodes.reference, nodes.title, nodes.raw,
                   nodes.FixedTextElement, nodes.Inline)


def glossary_pattern(forms: dict[str, tuple[str, ...]] = GLOSSARY_FORMS) -> re.Pattern:
    by_length = sorted({form: term for term, fs in forms.items() for form in fs}.items(), key=lambda kv: -len(kv[0]))
    alternatives = "|".join(f"(?P<t{i}>{re.escape(form)})" for i, (form, _) in enumerate(by_length))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def _pattern_terms(forms: dict[str, tuple[str, ...]] = GLOSSARY_FORMS) -> list[str]:
    return [term for _, term in sorted({f: t for t, fs in forms.items() for f in fs}.items(), key=lambda kv: -len(kv[0]))]


def _linkable(node: nodes.Text) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, _NO_LINK_INSIDE) and not isinstance(parent, (nodes.strong, nodes.emphasis)):
            return False
        if isinstance(parent, course_element) and "course-exercise-head" in parent.get("classes", []):
            return False
        parent = parent.parent
    return True


def link_glossary_terms(doctree: nodes.Node, targets: dict[str, tuple[str, str]],
                        forms: dict[str, tuple[str, ...]] = GLOSSARY_FORMS) -> list[str]:
    """Link the first use of each term in `doctree` to targets[term] = (uri, title); returns the
    terms linked, in order. Code, links and headings are left alone; later uses stay plain text."""
    pattern = glossary_pattern(forms)
    terms = _pattern_terms(forms)
    linked: list[str] = []
    for text in list(doctree.findall(nodes.Text)):
        if len(linked) == len(targets) or not _linkable(text):
            continue
        source = str(text)
        pieces: list[nodes.Node] = []
        position = 0
        for match in pattern.finditer(source):
            term = terms[int(match.lastgroup[1:])]
            if term in linked or term not in targets:
                continue
            uri, title = targets[term]
            pieces.append(nodes.Text(source[position:match.start()]))
            ref = nodes.reference("", "", refuri=uri, internal=True, classes=["course-term"], reftitle=title)
            ref += nodes.Text(match.group(0))
            pieces.append(ref)
            position = match.end()
            linked.append(term)
        if pieces:
            pieces.append(nodes.Text(source[position:]))
            text.parent.replace(text, [p for p in pieces if not (isinstance(p, nodes.Text) and not str(p))])
    return linked


def _glossary_targets(app: Sphinx, docname: str) -> dict[str, tuple[str, str]]:
    std = app.env.get_domain("std")
    definitions = getattr(app, "course_glossary_definitions", None)
    if definitions is None:
        definitions = {}
        if GLOSSARY_DOC in app.env.all_docs:
            for item in app.env.get_doctree(GLOSSARY_DOC).findall(nodes.definition_list_item):
                term = item.next_node(nodes.term)
                definition = item.next_node(nodes.definition)
                if term is not None and definition is not None:
                    text = " ".join(definition.astext().split())
                    first = text.split(". ")[0].rstrip(".") + "."
                    definitions[term.astext().strip().lower()] = first
        app.course_glossary_definitions = definitions
    targets = {}
    for term in GLOSSARY_FORMS:
        found = std._terms.get(term.lower())
        if found is None:
            continue
        doc, labelid = found
        uri = app.builder.get_relative_uri(docname, doc) + "#" + labelid
        targets[term] = (uri, definitions.get(term.lower(), ""))
    return targets


def _link_glossary(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html" or docname == GLOSSARY_DOC:
        return
    targets = _glossary_targets(app, docname)
    if targets:
        link_glossary_terms(doctree, targets)


def _check_glossary(app: Sphinx, env) -> None:
    if GLOSSARY_DOC not in env.found_docs:
        return
    missing = [t for t in GLOSSARY_FORMS if t.lower() not in env.get_domain("std")._terms]
    if missing:
        logger.warning("Ve slovníčku (%s) chybí pojmy: %s", GLOSSARY_DOC, ", ".join(missing),
                       type="course", subtype="glossary")


def _build_finished(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    try:
        from checkers import paths
        from checkers.progress import ProgressStore, write_book_progress

        from checkers.course import load_course

        store = ProgressStore(paths.state_dir())
        written = write_book_progress(Path(app.outdir), store.load(), load_course(course_file()))
        for warning in store.warnings:
            logger.warning(warning)
        if written:
            logger.info("Postup studenta zapsán do %s", written)
    except Exception as exc:  # never fail a build because of the student's progress
        logger.warning("Postup studenta se do knihy nepodařilo zapsat: %s", exc, type="course", subtype="progress")


def setup(app: Sphinx) -> dict:
    app.add_node(
        course_element,
        html=(visit_course_element, depart_course_element),
        latex=(_pass, _pass),
        text=(_pass, _pass),
        man=(_pass, _pass),
        texinfo=(_pass, _pass),
    )
    app.add_node(course_link)
    app.add_directive("exercise", ExerciseDirective)
    app.add_directive("course-progress", CourseProgressDirective)
    app.add_directive("course-overview", CourseOverviewDirective)
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    app.connect("env-purge-doc", _purge_doc)
    app.connect("env-merge-info", _merge_info)
    app.connect("env-check-consistency", _check_consistency)
    app.connect("doctree-read", _estimated_time)
    app.connect("env-check-consistency", _check_glossary)
    app.connect("doctree-resolved", _link_glossary)
    app.connect("doctree-resolved", _resolve_links)
    app.connect("build-finished", _build_finished)
    app.add_js_file("course.js")
    app.add_css_file("course.css")
    return {"version": "1", "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
