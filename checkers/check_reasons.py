"""Which outcomes each check can return, read from the source of checkers/checks/*.py (no import).

The course linter needs every reason a check can fail or be unverifiable with to have its Czech
text. The reasons are found statically: calls of `passed/failed/unknown(reason, …)` and
`Outcome(Status.X, reason, …)` in the check's function and in every function of the checks package
it calls (also through a decorator). A reason given as a literal, a conditional of literals, a
constant tuple or dict of the module (`for marker in PLACEHOLDERS`, `REASONS.get(x, "default")`) is
resolved, and so is one under `if EXPR in ("a", "b"):`; one computed from the facts cannot be, and
is listed as dynamic (None): its check then needs the generic text of that kind.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from checkers.paths import REPO_ROOT

CHECKS_DIR = REPO_ROOT / "checkers" / "checks"
KINDS = {"passed": "pass", "failed": "fail", "unknown": "error"}
STATUS_KINDS = {"PASSED": "pass", "FAILED": "fail", "UNVERIFIED": "error", "ERROR": "error"}
DYNAMIC = None  # a reason that cannot be read from the source


@dataclass
class Function:
    module: str
    outcomes: set = field(default_factory=set)  # (kind, reason or DYNAMIC, line)
    calls: set = field(default_factory=set)  # (module, name)


def _constants(tree: ast.Module) -> dict[str, list]:
    """Module-level NAME = tuple/list/set/dict of string literals: name -> the strings (dict values)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            strings = _strings(node.value, {}, {})
            if strings is not None:
                found[node.targets[0].id] = strings
    return found


def _strings(node, constants: dict, local: dict) -> list | None:
    """The strings an expression can be, or None when that cannot be read from the source."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, other = _strings(node.body, constants, local), _strings(node.orelse, constants, local)
        return None if body is None or other is None else body + other
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        parts = [_strings(e, constants, local) for e in node.elts]
        return None if any(p is None for p in parts) else [s for p in parts for s in p]
    if isinstance(node, ast.Dict):
        return _strings(ast.Tuple(elts=list(node.values)), constants, local)
    if isinstance(node, ast.Name):
        return local.get(node.id, constants.get(node.id))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        values = _strings(node.func.value, constants, local)  # CONST.get(x, "default") / {…}.get(x, "default")
        default = _strings(node.args[1], constants, local) if len(node.args) > 1 else []
        return None if values is None or default is None else values + default
    return None


def _local_strings(func: ast.AST, constants: dict) -> dict[str, list]:
    """Names assigned in a function (or bound by a for loop) to what `_strings` can read."""
    local: dict[str, list] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.iter
        else:
            continue
        strings = _strings(value, constants, local)
        local[target] = None if strings is None or local.get(target, []) is None else local.get(target, []) + strings
    return {k: v for k, v in local.items() if v is not None}


def _guards(func: ast.AST, constants: dict) -> dict[int, dict[str, list]]:
    """id(call) -> {expression: its strings} for calls under `if EXPR in ("a", "b"):` (the reason
    `failed(seen.kind)` there can only be one of those)."""
    guarded: dict[int, dict[str, list]] = {}
    for node in ast.walk(func):
        test = node.test if isinstance(node, ast.If) else None
        if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In)
                and _strings(test.comparators[0], constants, {}) is not None):
            known = {ast.dump(test.left): _strings(test.comparators[0], constants, {})}
            for inner in node.body:
                for call in ast.walk(inner):
                    if isinstance(call, ast.Call):
                        guarded.setdefault(id(call), {}).update(known)
    return guarded


def _outcome(call: ast.Call, constants: dict, local: dict, guards: dict):
    """(kind, [reasons] or None) for an outcome-making call, else None."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else None
    if name in KINDS:
        kind, reason = KINDS[name], call.args[0] if call.args else None
    elif name == "Outcome" and call.args and isinstance(call.args[0], ast.Attribute) \
            and call.args[0].attr in STATUS_KINDS:
        kind, reason = STATUS_KINDS[call.args[0].attr], call.args[1] if len(call.args) > 1 else None
    else:
        return None
    if reason is None:
        return kind, [""]
    found = _strings(reason, constants, local)
    if found is None:
        found = guards.get(id(call), {}).get(ast.dump(reason))
    return kind, found


def scan(directory: Path = CHECKS_DIR) -> tuple[dict, dict]:
    """(functions by (module, name), checks: id -> (module, function name)) of the checks package."""
    functions: dict[tuple[str, str], Function] = {}
    checks: dict[str, tuple[str, str]] = {}
    for path in sorted(directory.glob("*.py")):
        module = path.stem
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        constants = _constants(tree)
        imported = {alias.asname or alias.name: (node.module.rsplit(".", 1)[-1], alias.name)
                    for node in tree.body if isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith("checkers.checks.") for alias in node.names}
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}

        def target(name):  # the outcome makers of checks.base are read as outcomes, not followed
            found = (module, name) if name in defined else imported.get(name)
            return None if found is None or found[0] == "base" else found

        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            found = functions[(module, node.name)] = Function(module)
            local = _local_strings(node, constants)
            guards = _guards(node, constants)
            for decorator in node.decorator_list:
                called = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(called, ast.Name) and target(called.id):
                    found.calls.add(target(called.id))
            for sub in ast.walk(node):
                if not isinstance(sub, ast.Call):
                    continue
                outcome = _outcome(sub, constants, local, guards)
                if outcome:
                    kind, reasons = outcome
                    for reason in reasons if reasons is not None else [DYNAMIC]:
                        found.outcomes.add((kind, reason, sub.lineno))
                for arg in [sub.func, *sub.args]:  # called, or handed on as a function (a helper's argument)
                    if isinstance(arg, ast.Name) and target(arg.id):
                        found.calls.add(target(arg.id))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Check"
                    and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[1], ast.Name) and target(node.args[1].id)):
                checks[node.args[0].value] = target(node.args[1].id)
    return functions, checks


def reasons_of(check_id: str, functions: dict, checks: dict) -> set[tuple[str, str | None]]:
    """Every (kind, reason) the check's function and the helpers it calls can return."""
    seen, todo, found = set(), [checks[check_id]], set()
    while todo:
        key = todo.pop()
        if key in seen or key not in functions:
            continue
        seen.add(key)
        found |= {(kind, reason) for kind, reason, _ in functions[key].outcomes}
        todo += functions[key].calls
    return found


def all_reasons(directory: Path = CHECKS_DIR) -> dict[str, set]:
    functions, checks = scan(directory)
    return {check_id: reasons_of(check_id, functions, checks) for check_id in checks}
