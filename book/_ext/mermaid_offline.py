"""Mermaid diagrams that draw offline, over file:// as well as http.

sphinxcontrib-mermaid always emits an inline ES module that starts with
`import mermaid from "<url>";`. Over file:// Chromium refuses module imports
(CORS, origin "null"), and the default <url> is a CDN. This extension:

* serves the vendored UMD bundle (book/_vendor/mermaid/mermaid.min.js, npm
  mermaid@11.12.1, the version sphinxcontrib-mermaid 2.1.1 is written for) as
  `_static/mermaid/mermaid.min.js`. `_vendor/` is added to html_static_path here,
  in config-inited, so jupyter-book's scan of `_static/` (which would add every
  *.js to *every* page) never sees the 2.7 MB bundle;
* loads the bundle only on pages that have a diagram (sphinxcontrib-mermaid also adds its
  loader to pages without a doctree, e.g. search.html; it is dropped there), and
* on pages with a diagram, rewrites the module's first line to
  `const mermaid = window.mermaid;` and puts a classic <script src> of the UMD
  bundle before it. An inline module without imports is allowed over file://.

The rewrite depends on the first line of sphinxcontrib-mermaid's JS template, so
that package is pinned; the browser tests fail if the diagrams stop drawing.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.builders.html._assets import _JavaScript
from sphinx.util import logging

logger = logging.getLogger(__name__)

VENDOR_DIR = Path(__file__).resolve().parent.parent / "_vendor"
UMD_PATH = "_static/mermaid/mermaid.min.js"
IMPORT_MARKER = "import mermaid from"


def _add_vendor_static(app: Sphinx, config) -> None:
    if not (VENDOR_DIR / "mermaid" / "mermaid.min.js").is_file():
        logger.warning("mermaid_offline: chybí %s – diagramy se nevykreslí.", VENDOR_DIR / "mermaid" / "mermaid.min.js")
    config.html_static_path.append(str(VENDOR_DIR))


def _has_diagram(doctree) -> bool:
    from sphinxcontrib.mermaid import mermaid as mermaid_node

    return doctree is not None and doctree.next_node(mermaid_node) is not None


def _rewrite_mermaid_import(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    files = context.get("script_files")
    if not files:
        return
    diagram = _has_diagram(doctree)
    rewritten: list[_JavaScript] = []
    found = False
    for js in files:
        body = getattr(js, "attributes", {}).get("body", "") if isinstance(js, _JavaScript) else ""
        if body.lstrip().startswith(IMPORT_MARKER):
            found = True
            if not diagram:
                # Pages without a doctree (search, genindex) get the loader too; they draw nothing.
                continue
            _, _, rest = body.lstrip().partition("\n")
            attributes = dict(js.attributes, body="const mermaid = window.mermaid;\n" + rest)
            js = _JavaScript(js.filename, priority=js.priority, **attributes)
        rewritten.append(js)
    if not found:
        return
    if diagram:
        # A classic script before the (deferred) inline module sets window.mermaid.
        rewritten.insert(0, _JavaScript(UMD_PATH, priority=400))
    # A new per-page list: the builder's shared list is restored for the next page anyway.
    context["script_files"] = rewritten


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _add_vendor_static)
    # After sphinxcontrib-mermaid's install_js (default priority 500).
    app.connect("html-page-context", _rewrite_mermaid_import, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
