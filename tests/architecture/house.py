"""The rules of the house, read from the code's syntax trees (plain `ast`).

Every service has one skeleton: `api/` (HTTP in, schemas out) → `service/`
(use cases) → `domain/` (pure rules) ← `store/` (queries, never commits).
These checks say where each kind of line may stand; `check_tree(root)` lists
every breach under `root` as a `Breach(rule, path, line, what)`, so a test can
hold the list against what is known and a fixture can show each rule biting.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Libraries a pure rule may not lean on: a rule that needs one of these is not
# pure, and cannot be tested as a table of inputs and outputs.
DOMAIN_FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "sqlmodel",
    "httpx",
    "aiohttp",
    "services.common.errors",
)

# Calls that are queries or writes: they belong in a store, never in a router.
QUERY_BUILDERS = ("select", "insert", "update", "delete", "text")
SESSION_METHODS = (
    "exec",
    "execute",
    "scalar",
    "scalars",
    "get",
    "add",
    "add_all",
    "delete",
    "merge",
)

# The modules that may end a transaction: the request-scoped session
# dependency, and the one helper for work outside a request (jobs, batches).
COMMIT_ALLOWED = (
    "services/common/db.py",
    "services/common/transactions.py",
)

KERNEL = "common"


@dataclass(frozen=True, order=True)
class Breach:
    rule: str
    path: str
    line: int
    what: str

    def key(self) -> tuple[str, str, str]:
        """Identity without the line number, so unrelated edits above a known
        breach do not change it."""
        return (self.rule, self.path, self.what)


def _modules(root: Path, *parts: str) -> Iterator[tuple[str, ast.Module]]:
    base = root.joinpath(*parts)
    if not base.exists():
        return
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)


def _imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from services.common import errors` names services.common.errors.
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _calls(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, name) of every call: `f(…)` gives f, `x.f(…)` gives f."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            yield node.lineno, func.id
        elif isinstance(func, ast.Attribute):
            yield node.lineno, func.attr


def _queries(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Statements built (`select(…)`) and session calls (`session.exec(…)`)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in QUERY_BUILDERS:
            yield node.lineno, f"{func.id}()"
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in SESSION_METHODS
            and isinstance(func.value, ast.Name)
            and func.value.id.endswith(("session", "conn", "connection"))
        ):
            yield node.lineno, f"{func.value.id}.{func.attr}()"


def _is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _service_of(rel: str) -> str | None:
    parts = rel.split("/")
    if len(parts) >= 3 and parts[0] == "services":
        return parts[1]
    return None


def _layer_of(rel: str) -> str | None:
    parts = rel.split("/")
    if len(parts) >= 4 and parts[0] == "services" and parts[1] != KERNEL:
        return parts[2]
    return None


def _imported_service(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "services":
        return parts[1]
    return None


def check_tree(root: Path) -> list[Breach]:
    """Every breach of the house rules in the tree at `root`."""
    out: list[Breach] = []
    for rel, tree in _modules(root, "services"):
        service, layer = _service_of(rel), _layer_of(rel)
        imports = list(_imports(tree))
        calls = list(_calls(tree))
        if layer == "api":
            out += [Breach("router-queries", rel, line, what) for line, what in _queries(tree)]
        if layer == "domain":
            out += [
                Breach("domain-impure", rel, line, module)
                for line, module in imports
                if any(_is_under(module, lib) for lib in DOMAIN_FORBIDDEN)
            ]
        if layer == "store":
            out += [
                Breach("store-commits", rel, line, "commit()")
                for line, name in calls
                if name == "commit"
            ]
        elif rel not in COMMIT_ALLOWED:
            out += [
                Breach("commit-outside-kernel", rel, line, "commit()")
                for line, name in calls
                if name == "commit"
            ]
        for line, module in imports:
            target = _imported_service(module)
            if service == KERNEL and (target not in (None, KERNEL) or _is_under(module, "gateway")):
                out.append(Breach("kernel-imports-service", rel, line, module))
            elif service not in (None, KERNEL) and target not in (None, KERNEL, service):
                out.append(Breach("service-imports-service", rel, line, module))
    for rel, tree in _modules(root, "gateway"):
        for line, module in _imports(tree):
            if _imported_service(module) not in (None, KERNEL):
                out.append(Breach("gateway-imports-service", rel, line, module))
        # A module named at run time is an import all the same.
        out += [
            Breach("gateway-imports-service", rel, line, f"{name}()")
            for line, name in _calls(tree)
            if name in ("import_module", "__import__")
        ]
    for rel, tree in _modules(root, "renshi"):
        out += [
            Breach("commit-outside-kernel", rel, line, "commit()")
            for line, name in _calls(tree)
            if name == "commit"
        ]
    return sorted(set(out))


def keys(breaches: Iterable[Breach]) -> set[tuple[str, str, str]]:
    return {b.key() for b in breaches}
