"""Two fixes of what the book's toolchain does on every page.

* Sphinx's search drops every query word made only of digits, so "502" (or "403") found nothing
  although the troubleshooting chapter is about exactly that. `search-numbers.js` lets such words
  through: it wraps `Search._parseQuery` from a DOMContentLoaded listener registered before
  searchtools.js registers `Search.init`, so the wrap is in place before the first query.
* jupyter-book 1 makes sphinx-thebe and sphinx-togglebutton add their inline configuration twice;
  the second `const THEBE_JS_URL = …` is a console error on every page ("Identifier 'THEBE_JS_URL'
  has already been declared"). A page's scripts are made unique before it is written.
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


def add_static_dir(app, config):
    config.html_static_path.append(str(STATIC_DIR))


def setup(app):
    app.connect("config-inited", add_static_dir)
    app.add_js_file("search-numbers.js")
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
