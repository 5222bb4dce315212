"""One class's results as exported: the run, its targets as stored, and, with a grading policy or
several sources, where each student's counted result came from (checkers.grading.sources)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from checkers.grading.gradebook import RunInfo, StoredTarget
from checkers.grading.model import GRADED, NOT_VERIFIED, STATES
from checkers.grading.policy import EXCUSED, Policy


@dataclass
class ClassResult:
    run: RunInfo
    targets: list[StoredTarget]
    history: list[dict]
    policy: Policy | None = None  # given by the teacher (--policy): marks shown
    views: dict = field(default_factory=dict)  # position -> sources.View (where results came from)

    @property
    def steps(self) -> list[dict]:
        return self.run.steps

    def summary(self) -> dict:
        graded = [t for t in self.targets if t.state == GRADED]
        points = [t.points or 0 for t in graded]
        per_step = []
        for step in self.steps:
            evaluated = [t for t in graded if step["id"] in t.steps and t.steps[step["id"]].status != EXCUSED]
            excused = sum(1 for t in graded if step["id"] in t.steps and t.steps[step["id"]].status == EXCUSED)
            passed = sum(1 for t in evaluated if t.steps[step["id"]].status == "passed")
            unverified = sum(1 for t in evaluated if t.steps[step["id"]].status in NOT_VERIFIED)
            advice = sum(1 for t in evaluated for c in t.checks if c.step == step["id"] and c.status == "advice")
            per_step.append({"id": step["id"], "label": step.get("label", step["id"]), "title": step["title"],
                             "points": step["points"], "passed": passed, "evaluated": len(evaluated),
                             "unverified": unverified, "advice": advice, "excused": excused})
        return {
            "students": len(self.targets),
            "states": {state: sum(1 for t in self.targets if t.state == state) for state in STATES},
            "graded": len(graded),
            "average": round(statistics.fmean(points), 2) if points else None,
            "median": statistics.median(points) if points else None,
            "full_marks": sum(1 for t in graded if t.points == t.max_points),
            "max_points": max((t.max_points for t in self.targets), default=0),
            "steps": per_step,
            **({"marks": {str(m): sum(1 for t in graded if self.mark(t) == m) for m in range(1, 6)}}
               if self.policy else {}),
        }

    def view(self, target: StoredTarget):
        return self.views.get(target.position)

    def mark(self, target: StoredTarget) -> int | None:
        view = self.view(target)
        return view.mark if view is not None and self.policy is not None else None

    def labels(self) -> dict[str, str]:
        return {s["id"]: s.get("label", s["id"]) for s in self.steps}
