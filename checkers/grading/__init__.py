"""Teacher grading of a whole class: `./kurz grade ROSTER`, `regrade`, `roster`.

model.py      what a roster entry and a target's grade are, Czech names of target states
roster.py     the roster CSV (name,id,target,identity): parsing, validation, Vagrant classroom roster
runner.py     parallel grading: bounded threads, one deadline per target (connect + probe), one probe each
live.py       the live progress display (rich) while a class is graded
gradebook.py  the SQLite gradebook: runs, saved facts, per-check and per-step results (schema versioned)
regrade.py    re-evaluation of saved facts with the current checks (no network)
exports.py    grades.csv, moodle.csv, grades.json
html_report.py  report.html: a self-contained page for the teacher (no scripts, no external resources)
cli.py        the commands, wired into checkers.cli
"""
