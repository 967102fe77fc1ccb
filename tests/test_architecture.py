"""The shape of the house, checked from the code's own imports (an AST walk, nothing run).

- the core (``people/``, ``security/``, ``db/``, the rules layer) never imports a domain;
- the rules layer imports only leaf modules;
- only ``routes.py`` and ``cli.py`` import FastAPI, Starlette or Typer;
- every package the registry lists has the same rooms, and every package with pages or
  commands is in the registry;
- domains do not import each other; no import circles between modules;
- the audit log is written only by the security package; role names are compared only there;
- every CSV and XLSX row is written through ``insa.spreadsheets``, every download named
  through ``insa.files.content_disposition``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from insa import domains

SRC = Path(__file__).resolve().parents[1] / "src" / "insa"
CORE = ("insa.people", "insa.security", "insa.db", "insa.rules")
LEAVES = ("insa.codes", "insa.params", "insa.errors", "insa.settings")
ADAPTER_LIBS = ("fastapi", "starlette", "typer")
DOMAIN_NAMES = tuple(f"insa.{p.name}" for p in domains.DOMAINS)
TOP = ("insa.domains", "insa.cli", "insa.web.app")  # the layer above every package


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (absolute)
    line: int
    top_level: bool  # at module level (not inside a function)
    type_only: bool  # under ``if TYPE_CHECKING:``
    name: str = ""  # what was imported, dotted (``insa.security.models.AuditLog``)


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node: ast.AST, top: bool, typing_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from walk(child, False, typing_only)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from walk(child, top, True)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, child.lineno, top, typing_only, alias.name)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    target = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    target = child.module or ""
                names = [f"{target}.{a.name}" for a in child.names]
                # ``from insa.people import models``: the target is the submodule
                for name in names:
                    sub = SRC.parent / Path(*name.split("."))
                    real = name if (sub.with_suffix(".py").exists() or sub.is_dir()) else target
                    yield Import(module, real, child.lineno, top, typing_only, name)
            else:
                yield from walk(child, top, typing_only)

    yield from walk(tree, True, False)


def _all_imports() -> list[Import]:
    return [
        i for p in sorted(SRC.rglob("*.py")) if "migrations" not in p.parts for i in _imports(p)
    ]


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


IMPORTS = _all_imports()


def test_the_walk_sees_the_code() -> None:
    modules = {i.module for i in IMPORTS}
    assert len(modules) > 80 and "insa.people.payroll" in modules
    assert any(i.target == "insa.rules.income_tax" for i in IMPORTS)


def test_the_core_never_imports_a_domain_or_the_layer_above() -> None:
    bad = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _under(i.module, CORE) and _under(i.target, DOMAIN_NAMES + TOP)
    ]
    assert not bad, bad


def test_the_rules_layer_imports_only_leaf_modules() -> None:
    bad = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _under(i.module, ("insa.rules",))
        and i.target.startswith("insa")
        and not _under(i.target, ("insa.rules", *LEAVES))
    ]
    assert not bad, bad


def test_only_routes_and_cli_import_the_web_and_command_frameworks() -> None:
    packages = tuple(f"insa.{p.name}" for p in domains.PACKAGES)
    bad = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _under(i.module, packages)
        and i.target.split(".")[0] in ADAPTER_LIBS
        and i.module.rpartition(".")[2] not in ("routes", "cli")
    ]
    assert not bad, bad


def test_domains_do_not_import_each_other() -> None:
    bad = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        for d in DOMAIN_NAMES
        if _under(i.module, (d,)) and _under(i.target, tuple(x for x in DOMAIN_NAMES if x != d))
    ]
    assert not bad, bad


@pytest.mark.parametrize("package", domains.PACKAGES, ids=lambda p: p.name)
def test_every_registered_package_has_the_same_rooms(package: domains.Package) -> None:
    folder = SRC / package.name
    rooms = ["models.py", "schemas.py", "service.py", "routes.py", "cli.py"]
    missing = [r for r in rooms if not (folder / r).is_file()]
    assert not missing, (package.name, missing)
    assert (folder / "templates").is_dir(), package.name
    if package in domains.DOMAINS:
        assert any((folder / "params").rglob("*.yaml")), f"{package.name}/params/ has no rules"
    assert package.routers and package.commands and package.grants, package.name
    assert package.models.__name__ == f"insa.{package.name}.models"


def test_every_package_with_pages_or_commands_is_in_the_registry() -> None:
    listed = {p.name for p in domains.PACKAGES}
    found = {p.parent.name for p in SRC.glob("*/routes.py")} | {
        p.parent.name for p in SRC.glob("*/cli.py")
    }
    assert found == listed, found ^ listed


def test_no_import_circles_between_modules() -> None:
    """Module-level imports (function-level ones included: a circle hidden in a function is
    still a circle; type-only imports too). A package importing its own submodules is not a
    circle."""
    graph: dict[str, set[str]] = {}
    modules = {i.module for i in IMPORTS}
    for i in IMPORTS:
        if i.target in modules and i.target != i.module:
            if i.module.startswith(i.target + "."):
                continue  # a submodule importing its package's face: the face re-exports
            graph.setdefault(i.module, set()).add(i.target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, [" → ".join(c) for c in cycles]


def test_the_audit_log_is_written_only_through_the_security_package() -> None:
    """Outside security/ nothing imports the audit module or the audit table: the rest of the
    code audits through its context (``ctx.audit``)."""
    bad = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        if (_under(i.target, ("insa.security.audit",)) or i.name == "insa.security.models.AuditLog")
        and not _under(i.module, ("insa.security",))
    ]
    assert not bad, bad


def test_roles_are_compared_only_in_the_security_package() -> None:
    """Policy lives in security/ (the role table and restrict); elsewhere code asks the
    principal (can, sees_all, scope_agency …), never ``principal.role == …``."""
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        if "security" in path.relative_to(SRC).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(isinstance(s, ast.Attribute) and s.attr == "role" for s in sides):
                    bad.append(f"{path.relative_to(SRC)}:{node.lineno}")
    templates = [
        f"{p.relative_to(SRC)}"
        for p in SRC.rglob("*.html")
        if "principal.role ==" in p.read_text("utf-8")
        or "principal.role in" in p.read_text("utf-8")
    ]
    assert not bad and not templates, bad + templates


def test_every_csv_and_xlsx_row_goes_through_the_one_writer() -> None:
    """``csv.writer`` and ``worksheet.append`` only in ``insa.spreadsheets`` (text stays text:
    no formula from a name reaches a spreadsheet program)."""
    found = []
    for path in SRC.rglob("*.py"):
        if path.name == "spreadsheets.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            f = node.func
            owner = f.value.id if isinstance(f.value, ast.Name) else ""
            if (owner == "csv" and f.attr in ("writer", "DictWriter")) or (
                owner in ("ws", "sheet", "worksheet") and f.attr == "append"
            ):
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []


def test_every_download_names_its_file_through_the_one_helper() -> None:
    """A ``Content-Disposition`` header is always ``insa.files.content_disposition(…)``: a
    name from data can neither break the header's encoding nor add a parameter to it."""
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and str(key.value).lower() == "content-disposition"
                ):
                    call = isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                    if not (call and value.func.id == "content_disposition"):  # type: ignore[union-attr]
                        found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []
