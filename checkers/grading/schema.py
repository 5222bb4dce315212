"""The gradebook's SQLite schema, one SQL script per version (PRAGMA user_version).

Version 1: grading runs (`grade`, `regrade`): runs, facts, targets, step_results, check_results.
Version 2 (issue 17, the class server) adds, without touching version 1's tables:

  class_students     one row per join: name, accent/case-folded name key, roster line and id, the
                     SHA-256 of the student's token (never the token; NULL after the teacher resets
                     the join), the last sequence number received, and the live "stuck" state
  submissions        every result that reached the gradebook, whatever its source:
                       reported  sent by the student's checker to the class server (re-graded by the
                                 server from the facts; the student's own verdicts kept in `reported`)
                       verified  graded by the teacher's own probe (`grade` over SSH): `run_target`
                       imported  a file uploaded to Moodle and read by `grade --import`
                     `uid` is the idempotency key (the client's id; derived for the other sources),
                     `created_at` the student's clock, `received_at` the server's
  submission_steps   points per step of a submission, as graded by the server's checks
  submission_checks  each check's status and Czech texts of a submission
  class_cells        the live grid: per joined student and step the latest state, points, number of
                     attempts, the submission it comes from and when the state last changed
                     (derived from submissions, kept in the same transaction)
  excuses            excused steps per student (`student_key`: the roster id, or the name key) with
                     the teacher's reason; shown as "omluveno", never as 0
"""

_SCHEMA_V1 = """
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('grade', 'regrade')),
    source_run    INTEGER REFERENCES runs(id),
    status        TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    roster        TEXT NOT NULL DEFAULT '',
    course_title  TEXT NOT NULL,
    steps         TEXT NOT NULL,
    checks_digest TEXT NOT NULL,
    settings      TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE facts (
    id       INTEGER PRIMARY KEY,
    sha256   TEXT NOT NULL UNIQUE,
    document TEXT NOT NULL
);
CREATE TABLE targets (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    position    INTEGER NOT NULL,
    roster_line INTEGER NOT NULL DEFAULT 0,
    name        TEXT NOT NULL,
    student_id  TEXT NOT NULL,
    target      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'graded', 'unreachable', 'timeout', 'error')),
    reason      TEXT NOT NULL DEFAULT '',
    hint        TEXT NOT NULL DEFAULT '',
    seconds     REAL,
    graded_at   TEXT,
    facts_id    INTEGER REFERENCES facts(id),
    points      INTEGER,
    max_points  INTEGER NOT NULL,
    UNIQUE (run_id, position)
);
CREATE TABLE step_results (
    target_id  INTEGER NOT NULL REFERENCES targets(id),
    step       TEXT NOT NULL,
    status     TEXT NOT NULL,
    points     INTEGER NOT NULL,
    max_points INTEGER NOT NULL,
    PRIMARY KEY (target_id, step)
);
CREATE TABLE check_results (
    target_id INTEGER NOT NULL REFERENCES targets(id),
    check_id  TEXT NOT NULL,
    step      TEXT NOT NULL,
    status    TEXT NOT NULL,
    title     TEXT NOT NULL,
    message   TEXT NOT NULL,
    hint      TEXT NOT NULL,
    PRIMARY KEY (target_id, check_id)
);
CREATE INDEX targets_by_run ON targets (run_id, position);
"""

_SCHEMA_V2 = """
CREATE TABLE class_students (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    roster_line   INTEGER NOT NULL DEFAULT 0,
    student_id    TEXT NOT NULL DEFAULT '',
    token_sha256  TEXT UNIQUE,
    joined_at     TEXT NOT NULL,
    reset_at      TEXT,
    last_sequence INTEGER NOT NULL DEFAULT 0,
    last_seen     TEXT,
    stuck_check   TEXT,
    stuck_since   TEXT,
    stuck_cause   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX class_students_joined ON class_students (name_key) WHERE token_sha256 IS NOT NULL;
CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY,
    uid           TEXT NOT NULL UNIQUE,
    source        TEXT NOT NULL CHECK (source IN ('reported', 'verified', 'imported')),
    student       INTEGER REFERENCES class_students(id),
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    student_id    TEXT NOT NULL DEFAULT '',
    sequence      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    command       TEXT NOT NULL DEFAULT '',
    target        TEXT NOT NULL DEFAULT '',
    checker       TEXT NOT NULL DEFAULT '{}',
    checks_digest TEXT NOT NULL DEFAULT '',
    facts_id      INTEGER REFERENCES facts(id),
    reported      TEXT NOT NULL DEFAULT '{}',
    run_target    INTEGER REFERENCES targets(id),
    points        INTEGER,
    max_points    INTEGER
);
CREATE INDEX submissions_by_student ON submissions (student, id);
CREATE INDEX submissions_by_name ON submissions (name_key, id);
CREATE TABLE submission_steps (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    step          TEXT NOT NULL,
    status        TEXT NOT NULL,
    points        INTEGER NOT NULL,
    max_points    INTEGER NOT NULL,
    PRIMARY KEY (submission_id, step)
);
CREATE TABLE submission_checks (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    check_id      TEXT NOT NULL,
    step          TEXT NOT NULL,
    status        TEXT NOT NULL,
    title         TEXT NOT NULL,
    message       TEXT NOT NULL,
    hint          TEXT NOT NULL,
    PRIMARY KEY (submission_id, check_id)
);
CREATE INDEX submission_checks_failed ON submission_checks (step, check_id) WHERE status = 'failed';
CREATE TABLE class_cells (
    student    INTEGER NOT NULL REFERENCES class_students(id),
    step       TEXT NOT NULL,
    status     TEXT NOT NULL,
    points     INTEGER NOT NULL,
    max_points INTEGER NOT NULL,
    attempts   INTEGER NOT NULL,
    submission INTEGER NOT NULL REFERENCES submissions(id),
    first_at   TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (student, step)
);
CREATE TABLE excuses (
    id          INTEGER PRIMARY KEY,
    student_key TEXT NOT NULL,
    step        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (student_key, step)
);
"""

SCHEMA_VERSION = 2
# version -> SQL that brings a file from version-1 to version.
MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1, 2: _SCHEMA_V2}
