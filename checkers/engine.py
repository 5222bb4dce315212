"""Evaluate checks over facts: prerequisites, skipping, and the Czech texts of each result.

A failed prerequisite that is shown in the same run makes its dependants *skipped* (one root
cause, one red line). A failed prerequisite from another step is not hidden either: the
dependant is unverified and names it, with its message and hint.

doctor's causes are checks of kind CAUSE evaluated by the same rules (a crash is an error, never
swallowed); `diagnose` adds their mirror of prerequisites: a cause found supersedes (skips) the
symptoms it explains.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checkers.checks import cause_ids, registry
from checkers.checks.base import Kind, Level, Outcome, Status
from checkers.course import Course
from checkers.errors import ExitCode
from checkers.texts import COMMON, check_texts, fill, pick, seen_word, table


@dataclass
class Result:
    id: str
    status: Status
    title: str
    message: str
    hint: str
    step: str | None
    reason: str = ""
    seen: dict = field(default_factory=dict)
    kind: Kind = Kind.CHECK
    evidence: str = ""  # a cause's: what was seen on the target that shows it

    @property
    def found(self) -> bool:
        """A cause present on the target (advice included)."""
        return self.status in (Status.FAILED, Status.ADVICE)

    def to_json(self) -> dict:
        document = {"id": self.id, "status": self.status.value, "title": self.title, "message": self.message,
                    "hint": self.hint, "step": self.step, "reason": self.reason}
        if self.kind is Kind.CAUSE:
            document["evidence"] = self.evidence
        return document


class Evaluator:
    def __init__(self, facts: dict, course: Course):
        self.facts = facts
        self.course = course
        self.checks = registry()
        self._results: dict[str, Result] = {}

    def results(self, check_ids: list[str]) -> list[Result]:
        """Results in the given order; prerequisites are evaluated as needed."""
        self._results = {}  # a result depends on which checks are shown, so cache per call
        shown = set(check_ids)
        return [self._evaluate(check_id, shown) for check_id in check_ids]

    def diagnose(self) -> list[Result]:
        """Every cause, in doctor's order; a cause found skips the ones it supersedes."""
        results = self.results(cause_ids())
        hidden: dict[str, Result] = {}
        for result in results:
            if result.found:
                for superseded in self.checks[result.id].supersedes:
                    hidden.setdefault(superseded, result)
        return [self._render(r.id, Outcome(Status.SKIPPED, "superseded", {"by": hidden[r.id].title}))
                if r.id in hidden and r.found else r for r in results]

    def _evaluate(self, check_id: str, shown: set[str]) -> Result:
        if check_id in self._results:
            return self._results[check_id]
        check = self.checks[check_id]
        outcome = None
        for required in check.requires:
            prerequisite = self._evaluate(required, shown)
            if prerequisite.status is Status.PASSED:
                continue
            if prerequisite.status is Status.FAILED and required not in shown:
                # Broken in another step: this step's own state cannot be judged, and it is not
                # blamed for it. Its line names that step, what failed there and what to do.
                outcome = Outcome(Status.UNVERIFIED, "prerequisite_failed", {
                    "prerequisite": prerequisite.title, "prerequisite_message": prerequisite.message,
                    "prerequisite_step": self._step_label(required), "prerequisite_hint": prerequisite.hint})
            elif prerequisite.status in (Status.FAILED, Status.SKIPPED):
                outcome = Outcome(Status.SKIPPED, "requires", {"prerequisite": prerequisite.title})
            elif prerequisite.status is Status.ADVICE:
                continue  # a recommendation is no prerequisite
            elif prerequisite.status is Status.UNVERIFIED and prerequisite.reason in ("prerequisite",
                                                                                       "prerequisite_failed"):
                outcome = Outcome(Status.UNVERIFIED, prerequisite.reason, dict(prerequisite.seen))  # the root only
            else:  # what this check builds on could not be verified: neither can this one
                outcome = Outcome(Status.UNVERIFIED, "prerequisite", {
                    "prerequisite": prerequisite.title, "prerequisite_message": prerequisite.message})
            break
        if outcome is None:
            try:
                outcome = check.func(self.facts)
            except Exception as exc:  # noqa: BLE001  (a bug in one check must not hide the others)
                outcome = Outcome(Status.ERROR, "crash", {"error": f"{type(exc).__name__}: {exc}"})
            if outcome.status is Status.FAILED and check.level is Level.RECOMMENDED:
                outcome = Outcome(Status.ADVICE, outcome.reason, outcome.seen)
        result = self._render(check_id, outcome)
        self._results[check_id] = result
        return result

    def _step_label(self, check_id: str) -> str:
        step = self.course.step_of_check(check_id)
        return step.label[0].lower() + step.label[1:] if step else seen_word("other_step")

    def _render(self, check_id: str, outcome: Outcome) -> Result:
        if self.checks[check_id].kind is Kind.CAUSE:
            return self._render_cause(check_id, outcome)
        texts = check_texts(check_id)
        common = table("checks")[COMMON]
        step = self.course.step_of_check(check_id)
        title = texts["title"]
        if outcome.status is Status.SKIPPED:
            message = fill(common["skipped"], outcome.seen)
            hint = ""
        else:
            kind = {Status.PASSED: "pass", Status.FAILED: "fail", Status.ADVICE: "fail", Status.ERROR: "error",
                    Status.UNVERIFIED: "error"}[outcome.status]
            message = fill(pick(texts, common, kind, outcome.reason), outcome.seen)
            if outcome.status is Status.PASSED:
                hint = ""
            elif outcome.reason == "prerequisite_failed":  # what to do is what the other step says
                hint = outcome.seen.get("prerequisite_hint", "")
            elif outcome.status in (Status.ERROR, Status.UNVERIFIED):  # not the student's to fix: a specific hint only
                hint = fill(texts.get(f"hint_{outcome.reason}") or common.get(f"hint_{outcome.reason}", ""),
                            outcome.seen)
            else:
                hint = fill(pick(texts, common, "hint", outcome.reason), outcome.seen)
        return Result(check_id, outcome.status, title, message, hint, step.id if step else None,
                      outcome.reason, dict(outcome.seen))

    def _render_cause(self, check_id: str, outcome: Outcome) -> Result:
        """A cause found: its title, evidence, explanation and fix; otherwise only what it is and,
        when it could not be looked for, why."""
        texts = table("diagnoses")[check_id]
        common = {**table("checks")[COMMON], **table("diagnoses")[COMMON]}
        reason, seen = outcome.reason, outcome.seen
        title = fill(pick(texts, common, "title", reason), seen)
        message = hint = evidence = ""
        if outcome.status in (Status.FAILED, Status.ADVICE):
            message = fill(pick(texts, common, "explanation", reason), seen)
            hint = fill(pick(texts, common, "fix", reason), seen)
            evidence = fill(pick(texts, common, "evidence", reason), seen)
        elif outcome.status is Status.SKIPPED:
            message = fill(common[f"skipped_{reason}"] if f"skipped_{reason}" in common else common["skipped"], seen)
        elif outcome.status in (Status.ERROR, Status.UNVERIFIED):
            message = fill(pick(texts, common, "error", reason), seen)
        return Result(check_id, outcome.status, title, message, hint, None, reason, dict(seen), Kind.CAUSE, evidence)


def exit_code(results: list[Result]) -> ExitCode:
    """0 all passed (advice does not count); 1 something to fix (a failure, a skip behind one, or a
    check waiting for another step's failure); 2 only what could not be verified remains."""
    statuses = {r.status for r in results}
    if Status.FAILED in statuses or any(r.reason == "prerequisite_failed" for r in results):
        return ExitCode.TO_FIX
    if statuses & {Status.ERROR, Status.UNVERIFIED}:
        return ExitCode.CANNOT_CHECK
    if Status.SKIPPED in statuses:
        return ExitCode.TO_FIX
    return ExitCode.OK
