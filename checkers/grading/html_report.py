"""report.html: the class at a glance, as one self-contained page a teacher opens from disk.

No script and no external resource at all (a Content-Security-Policy forbids both, so even a
mistake in escaping could not run anything): inline CSS, an inline SVG chart, and <details> to
expand each failure's Czech message (also shown on hover through the title attribute). Every
value that came from the roster or a target is HTML-escaped.

A step cell is ✔ points (passed), ✘ 0 (failed), "? nelze ověřit" (the evidence was missing: no
points shown, since a 0 would read as a failure) or "⚠ nepodařilo se ověřit" (a check crashed).
Advice is a violet "!N" beside the points of any step and is listed with the step's other checks;
it never changes the points. With a grading policy a step may be "omluveno" (the reason on hover and
in the cell, no points, not in the maximum) and each student gets a Czech mark; with results from
more than one source each row says where its counted result came from and what disagrees.
"""

from __future__ import annotations

from html import escape

from checkers.grading.results import ClassResult
from checkers.grading.sources import excuse, source_note
from checkers.grading.model import (CHECK_STATUS_LABELS, CHECK_SYMBOLS, GRADED, NOT_VERIFIED, STATE_LABELS,
                                    STEP_STATUS_LABELS, display_text)
from checkers.grading.policy import EXCUSED, EXCUSED_LABEL
from checkers.report.terminal import points as points_word, recommendations, when
from checkers.texts import plural

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"
RUN_KINDS = {"grade": "hodnocení", "regrade": "přehodnocení uložených faktů", "class": "výsledky třídy"}
RUN_STATUSES = {"running": "nedokončený", "finished": "dokončený", "interrupted": "přerušený (Ctrl-C)"}
STEP_SYMBOLS = {"passed": "✔", "failed": "✘", "unverified": "?", "error": "⚠"}
# The checks listed in a step's cell, in this order: what fails it, what could not be verified, advice.
LISTED = ("failed", "error", "unverified", "advice")

STYLE = """
:root { --ok:#1a7f37; --ok-bg:#dafbe1; --bad:#b42318; --bad-bg:#ffe4e1; --warn:#8a6100; --warn-bg:#fff4c2;
        --advice:#6639ba; --advice-bg:#f3eeff; --off:#555; --off-bg:#eceff3; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; margin: 1.5rem; color: #1f2328; background: #fff; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; }
.meta { color: #57606a; margin: 0; }
.cards { display: flex; flex-wrap: wrap; gap: .6rem; margin-top: 1rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .9rem; min-width: 8.5rem; }
.card b { display: block; font-size: 1.45rem; }
.card.bad b { color: var(--bad); } .card.warn b { color: var(--warn); } .card.ok b { color: var(--ok); }
table { border-collapse: collapse; }
table.grades th, table.grades td { border: 1px solid var(--line); padding: .3rem .45rem; vertical-align: top; }
table.grades thead th { background: #f6f8fa; font-size: .8rem; position: sticky; top: 0; }
table.grades tbody th { text-align: left; font-weight: 600; max-width: 16rem; overflow-wrap: anywhere; }
.sid, .target { display: block; font-weight: normal; color: #57606a; font-size: .78rem; overflow-wrap: anywhere; }
td.step { text-align: center; min-width: 3.2rem; font-size: .9rem; }
td.passed { background: var(--ok-bg); color: var(--ok); }
td.failed { background: var(--bad-bg); color: var(--bad); }
td.error, td.unverified { background: var(--warn-bg); color: var(--warn); }
td.excused { background: var(--off-bg); color: var(--off); font-size: .75rem; }
td.mark { text-align: center; font-weight: 700; } td.source { font-size: .78rem; max-width: 22rem; }
.source-note { display: block; color: var(--warn); font-size: .75rem; }
.status-word { display: block; font-size: .72rem; font-weight: 600; white-space: nowrap; }
.advice { color: var(--advice); background: var(--advice-bg); border-radius: 4px; padding: 0 .25rem;
          font-size: .75rem; font-weight: 700; white-space: nowrap; }
li.advice-item b, li.unverified-item b, li.error-item b { color: var(--warn); }
li.advice-item b { color: var(--advice); }
td.none { background: var(--off-bg); color: var(--off); }
td.notgraded { background: var(--off-bg); color: var(--off); text-align: left; font-size: .85rem; }
td.notgraded.unreachable, td.notgraded.timeout { background: var(--warn-bg); color: var(--warn); }
td.total { text-align: right; font-weight: 700; white-space: nowrap; }
details summary { cursor: pointer; font-weight: 700; list-style: none; }
details summary::-webkit-details-marker { display: none; }
details[open] { text-align: left; min-width: 18rem; }
details ul { margin: .3rem 0 0; padding-left: 1rem; color: #1f2328; font-size: .8rem; }
details li { margin-bottom: .3rem; } .hint { color: #0550ae; }
.legend span { display: inline-block; padding: .1rem .5rem; margin-right: .4rem; border-radius: 4px; font-size: .85rem; }
.chart text { font-size: 12px; fill: #1f2328; } .chart .count { font-weight: 700; }
table.history td, table.history th { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: left; }
footer { margin-top: 2rem; color: #57606a; font-size: .8rem; }
"""


def e(value) -> str:
    """HTML-escaped text; control characters (a newline in a name, an escape sequence) shown visibly."""
    return escape(display_text("" if value is None else str(value)), quote=True)


def render_report(result: ClassResult) -> str:
    run = result.run
    summary = result.summary()
    title = f"Hodnocení třídy – {run.course_title} – běh {run.id}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="cs"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
        "<header><h1>Hodnocení třídy</h1>",
        f'<p class="meta">{e(run.course_title)} · běh č. {run.id}: {e(RUN_KINDS.get(run.kind, run.kind))}'
        + (f" běhu č. {run.source_run}" if run.source_run else "")
        + f" · {e(when(run.started_at))} · {e(RUN_STATUSES.get(run.status, run.status))}</p>"
        + _policy_line(result) + "</header>",
        _cards(summary),
        _chart(summary),
        _table(result),
        _history(result.history, run.id),
        "<footer>Stránka je samostatný soubor: otevře se z disku a nic nenačítá z internetu. "
        "Stejná data jsou v grades.csv, moodle.csv (import do Moodlu) a grades.json.</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _cards(summary: dict) -> str:
    states = summary["states"]
    maximum = summary["max_points"]
    cards = [("", "studentů", summary["students"]), ("ok", "zkontrolováno", summary["graded"])]
    for state, css in (("unreachable", "warn"), ("timeout", "warn"), ("error", "bad"), ("pending", "")):
        if states.get(state):
            cards.append((css, STATE_LABELS[state], states[state]))
    unverified = sum(step.get("unverified", 0) for step in summary["steps"])
    if unverified:
        cards.append(("warn", plural(unverified, "krok nelze ověřit", "kroky nelze ověřit", "kroků nelze ověřit")
                      .split(" ", 1)[1], unverified))
    if summary["average"] is not None:
        cards.append(("", f"průměr z {maximum} b.", f"{summary['average']:g}".replace(".", ",")))
        cards.append(("", "medián", f"{summary['median']:g}".replace(".", ",")))
        cards.append(("ok", "plný počet bodů", summary["full_marks"]))
    for mark, count in summary.get("marks", {}).items():  # with a grading policy: how many got each mark
        if count:
            cards.append(("ok" if mark == "1" else "bad" if mark == "5" else "", f"známka {mark}", count))
    inner = "".join(f'<div class="card {css}"><b>{e(value)}</b>{e(label)}</div>' for css, label, value in cards)
    return f'<section><h2>Shrnutí třídy</h2><div class="cards" id="shrnuti">{inner}</div></section>'


def _chart(summary: dict) -> str:
    steps = summary["steps"]
    graded = summary["graded"]
    label_w, bar_w, row_h = 340, 420, 26
    height = row_h * len(steps) + 28
    width = label_w + bar_w + 70
    rows = []
    for i, step in enumerate(steps):
        y = 10 + i * row_h
        total = step["evaluated"] or graded
        share = step["passed"] / total if total else 0
        w = round(bar_w * share)
        label = f"{step['label']}: {step['title']}"
        if len(label) > 44:
            label = label[:43] + "…"
        tip = f"{step['label']} – {step['title']}: splnilo {step['passed']} z {total}"
        if step.get("unverified"):
            tip += f", nelze ověřit u {plural(step['unverified'], 'studenta', 'studentů', 'studentů')}"
        rows.append(
            f'<g><title>{e(tip)}</title>'
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{e(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 8}" fill="#eceff3" rx="3"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 8}" fill="#2da44e" rx="3"/>'
            f'<text class="count" x="{label_w + bar_w + 8}" y="{y + 16}">{step["passed"]}/{total}</text></g>')
    note = "" if graded else '<p class="meta">Zatím není žádný zkontrolovaný stroj.</p>'
    return (f'<section><h2>Kolik studentů splnilo jednotlivé kroky</h2>{note}'
            f'<svg class="chart" id="graf" role="img" aria-label="Počet studentů, kteří splnili jednotlivé kroky" '
            f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            + "".join(rows) + "</svg></section>")


def _table(result: ClassResult) -> str:
    steps = result.steps
    head = "".join(f'<th scope="col" title="{e(s["title"])} ({e(points_word(s["points"]))})">'
                   f'{e(s.get("label", s["id"]))}<br>{s["points"]} b.</th>' for s in steps)
    rows = []
    extra = ('<th scope="col">Známka</th>' if result.policy else "") + ('<th scope="col">Zdroj</th>'
                                                                       if result.views else "")
    for target in result.targets:
        entry = target.entry
        name = (f'<th scope="row"><span class="name">{e(entry.name)}</span><span class="sid">{e(entry.student_id)}</span>'
                f'<span class="target">{e(entry.target)}</span></th>')
        if target.state != GRADED:
            text = STATE_LABELS[target.state] + (f": {target.reason}" if target.reason else "")
            cells = (f'<td class="notgraded {e(target.state)}" colspan="{len(steps)}" title="{e(target.hint)}">'
                     f'{e(text)}</td><td class="total">–</td>')
        else:
            cells = "".join(_step_cell(result, target, step) for step in steps)
            cells += f'<td class="total">{target.points}/{target.max_points}</td>'
        cells += _extra_cells(result, target)
        rows.append(f'<tr class="student {e(target.state)}">{name}{cells}</tr>')
    legend = ('<p class="legend"><span style="background:var(--ok-bg)">✔ splněno</span>'
              '<span style="background:var(--bad-bg)">✘ nesplněno – klikněte pro zprávy</span>'
              '<span style="background:var(--warn-bg)">? nelze ověřit – chyběly podklady, není to chyba studenta</span>'
              '<span style="background:var(--warn-bg)">⚠ chyba kontroly / stroj nedostupný</span>'
              '<span class="advice">! doporučení nad rámec lekce – body nebere</span>'
              '<span style="background:var(--off-bg)">– nehodnoceno</span>'
              + ('<span style="background:var(--off-bg)">omluveno – s důvodem, do maxima se nepočítá</span>'
                 if result.policy else "") + '</p>')
    return (f'<section><h2>Studenti × kroky</h2>{legend}<table class="grades" id="tabulka"><thead><tr>'
            f'<th scope="col">Student</th>{head}<th scope="col">Body</th>{extra}</tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></section>")


def _step_cell(result: ClassResult, target, step: dict) -> str:
    stored = target.steps.get(step["id"])
    if stored is None:
        return '<td class="step none" title="Tento krok se u tohoto cíle nehodnotí.">–</td>'
    status = stored.status
    if status == EXCUSED:
        reason = excuse(result, target, step["id"])
        tip = f"{step.get('label', step['id'])}: {step['title']} – {EXCUSED_LABEL}: {reason} (nepočítá se do maxima)"
        return (f'<td class="step excused" title="{e(tip)}">{e(EXCUSED_LABEL)}'
                f'<span class="status-word">{e(reason)}</span></td>')
    checks = [c for c in target.checks if c.step == step["id"]]
    listed = sorted((c for c in checks if c.status in LISTED), key=lambda c: LISTED.index(c.status))
    skipped = sum(1 for c in checks if c.status == "skipped")
    advice = sum(1 for c in checks if c.status == "advice")
    symbol = STEP_SYMBOLS.get(status, "?")
    word = STEP_STATUS_LABELS.get(status, status)
    if status in NOT_VERIFIED:  # no points shown: a 0 would read as a failure
        label = f"{step.get('label', step['id'])}: {step['title']} – {word} (body se nepočítají ani nestrhávají)"
        shown = f'{symbol}<span class="status-word">{e(word)}</span>'
    else:
        label = f"{step.get('label', step['id'])}: {step['title']} – {word} ({stored.points}/{stored.max_points} b.)"
        shown = f"{symbol} {stored.points}"
    if advice:
        label += f"; navíc {recommendations(advice)} nad rámec lekce (na body vliv nemá)"
        shown += f' <span class="advice" title="{e(recommendations(advice))}">!{advice}</span>'
    if not listed and not skipped:
        return f'<td class="step {e(status)}" title="{e(label)}">{shown}</td>'
    tip = "\n".join([display_text(label)] + [display_text(f"{CHECK_SYMBOLS.get(c.status, '?')} {c.title}: {c.message}")
                                             for c in listed])
    items = "".join(
        f'<li class="{e(c.status)}-item"><b>{e(CHECK_SYMBOLS.get(c.status, "?"))} {e(c.title)}</b>'
        + (f" ({e(CHECK_STATUS_LABELS[c.status])})" if c.status in ("unverified", "advice", "error") else "")
        + f"<br>{e(c.message)}"
        + (f'<br><span class="hint">→ {e(c.hint)}</span>' if c.hint else "") + "</li>" for c in listed)
    if skipped:
        items += f"<li>{e(plural(skipped, 'další kontrola přeskočena', 'další kontroly přeskočeny', 'dalších kontrol přeskočeno'))}</li>"
    return (f'<td class="step {e(status)}" title="{escape(tip, quote=True)}"><details><summary>{shown}</summary>'
            f"<ul>{items}</ul></details></td>")


def _extra_cells(result: ClassResult, target) -> str:
    cells = ""
    if result.policy:
        mark = result.mark(target)
        cells += f'<td class="mark">{mark if mark is not None else "–"}</td>'
    if result.views:
        view = result.view(target)
        label = view.source_label if view is not None and view.source else "–"
        note = source_note(result, target)
        cells += (f'<td class="source">{e(label)}' + (f'<span class="source-note">{e(note)}</span>' if note else "")
                  + "</td>")
    return cells


def _policy_line(result: ClassResult) -> str:
    policy = result.policy
    if policy is None:
        return ""
    marks = ", ".join(f"{m}: od {float(least):g} %".replace(".", ",") for m, least in policy.thresholds)
    text = f"Pravidla hodnocení {policy.source or '(výchozí)'}: známky {marks}, jinak 5"
    if policy.deadline:
        text += f" · termín odevzdání {policy.deadline_text()}"
    return f'<p class="meta" id="pravidla">{e(text)}.</p>'


def _history(history: list[dict], current: int) -> str:
    if len(history) < 2:
        return ""
    rows = []
    for run in history:
        kind = RUN_KINDS.get(run["kind"], run["kind"]) + (f" běhu {run['source_run']}" if run["source_run"] else "")
        average = "–" if run["average"] is None else f"{run['average']:g}".replace(".", ",")
        mark = " (tento)" if run["id"] == current else ""
        rows.append(f"<tr><td>{run['id']}{mark}</td><td>{e(when(run['started_at']))}</td><td>{e(kind)}</td>"
                    f"<td>{e(RUN_STATUSES.get(run['status'], run['status']))}</td>"
                    f"<td>{run['graded']} z {run['targets']}</td><td>{average}</td></tr>")
    return ('<section><h2>Historie běhů</h2><table class="history"><thead><tr><th>běh</th><th>začátek</th>'
            '<th>druh</th><th>stav</th><th>zkontrolováno</th><th>průměr bodů</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></section>")
