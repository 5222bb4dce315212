"""Three fixes of what the book's toolchain does on every page.

* Sphinx's search drops every query word made only of digits, so "502" (or "403") found nothing
  although the troubleshooting chapter is about exactly that. `search-numbers.js` lets such words
  through: it wraps `Search._parseQuery` from a DOMContentLoaded listener registered before
  searchtools.js registers `Search.init`, so the wrap is in place before the first query.
* jupyter-book 1 makes sphinx-thebe and sphinx-togglebutton add their inline configuration twice;
  the second `const THEBE_JS_URL = …` is a console error on every page ("Identifier 'THEBE_JS_URL'
  has already been declared"). A page's scripts are made unique before it is written.
* Two labels are hard-coded in English by the theme and the mermaid extension (no message
  catalog reaches them): they are put in Czech in the written pages.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "search_static"


def unique_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    unique, seen = [], set()
    for script in scripts:
        key = rendered_as(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def rendered_as(script) -> tuple:
    """What the page gets from a script entry: Sphinx drops None attributes when it writes the tag,
    so two entries that differ only there (as thebe's two do) write the same <script>."""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(getattr(script, "filename", script) or ""),
            tuple(sorted((k, str(v)) for k, v in attributes.items() if v is not None)))


# Hard-coded English labels (sphinx-book-theme's layout.html, sphinxcontrib-mermaid's dialog).
ENGLISH_LABELS = {'aria-label="Page"': 'aria-label="Stránka"',
                  'aria-label="Close fullscreen"': 'aria-label="Zavřít zobrazení na celou obrazovku"'}


def czech_labels(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = text
        for english, czech in ENGLISH_LABELS.items():
            fixed = fixed.replace(english, czech)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def add_static_dir(app, config):
    config.html_static_path.append(str(STATIC_DIR))


def setup(app):
    app.connect("config-inited", add_static_dir)
    app.add_js_file("search-numbers.js")
    app.connect("html-page-context", unique_scripts, priority=900)
    app.connect("build-finished", czech_labels)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
