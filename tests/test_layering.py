"""The layering rule of design §9, read from the source's syntax trees (no import runs).

- `providers/` imports neither `reconciler` nor `state`; `state/` imports neither `reconciler` nor `providers`. Every
  `import` and `from ... import` counts, wherever it stands (in a function, under `if TYPE_CHECKING:`), relative ones
  resolved, and so do `importlib.import_module("...")` and `__import__("...")` with a literal name.
- Outside `reconciler/cli/`, no module of `reconciler/`, `providers/` or `state/` reads the environment
  (`os.environ`, `os.environb`, `os.getenv`) or prints (`print(...)`, `sys.stdout`, `sys.stderr`, `traceback.print_*`):
  the CLI reads the environment and prints; the rest takes values and returns results or logs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("reconciler", "providers", "state")
FORBIDDEN_IMPORTS = {"providers": ("reconciler", "state"), "state": ("reconciler", "providers")}
CLI = ("reconciler", "cli")
ENVIRONMENT = {("os", "environ"), ("os", "environb"), ("os", "getenv")}
OUTPUT = {
    ("sys", "stdout"),
    ("sys", "stderr"),
    ("sys", "__stdout__"),
    ("sys", "__stderr__"),
    *(("traceback", name) for name in ("print_exc", "print_exception", "print_tb", "print_stack", "print_last")),
}


@dataclass(frozen=True)
class Violation:
    file: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}"


def module_parts(path: Path) -> tuple[str, ...]:
    """`providers/emulator/_server.py` → ("providers", "emulator", "_server"); a package's `__init__` is the package."""
    parts = path.relative_to(REPO).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(node: ast.AST, parts: tuple[str, ...], is_package: bool) -> list[str]:
    """The absolute names of the modules that `node` imports, if it is an import of any kind."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level == 0:
            base = node.module or ""
        else:
            package = parts if is_package else parts[:-1]
            anchor = package[: len(package) - (node.level - 1)]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        return [base]  # `from x import y` imports `x` (and maybe `x.y`): the package is what the rule is about
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def check_source(source: str, file: str, parts: tuple[str, ...], *, is_package: bool = False) -> list[Violation]:
    """Every breach of the layering rule in one module's source; `parts` is its dotted name, split."""
    tree = ast.parse(source, filename=file)
    found: list[Violation] = []
    forbidden = FORBIDDEN_IMPORTS.get(parts[0], ())
    in_cli = parts[:2] == CLI
    # Names bound to the modules `os`, `sys` and `traceback` (`import os as o`), and to their members
    # (`from os import environ as env`).
    module_aliases: dict[str, str] = {}
    member_aliases: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("os", "sys", "traceback"):
                    module_aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in ("os", "sys", "traceback"):
            for alias in node.names:
                member_aliases[alias.asname or alias.name] = (node.module, alias.name)

    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        for module in imported_modules(node, parts, is_package):
            top = module.split(".")[0]
            if top in forbidden:
                rule = f"{parts[0]}/ must not import {top} (design §9), found an import of {module}"
                found.append(Violation(file, line, rule))
        if in_cli:
            continue
        member: tuple[str, str] | None = None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in module_aliases:
            member = (module_aliases[node.value.id], node.attr)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in ("os", "sys", "traceback"):
            for alias in node.names:
                if (node.module, alias.name) in ENVIRONMENT | OUTPUT:
                    member = (node.module, alias.name)
        elif isinstance(node, ast.Name) and node.id in member_aliases and isinstance(node.ctx, ast.Load):
            member = member_aliases[node.id]
        if member in ENVIRONMENT:
            rule = f"only reconciler/cli/ reads the environment, found {'.'.join(member)}"
            found.append(Violation(file, line, rule))
        elif member in OUTPUT:
            rule = f"only reconciler/cli/ prints (log or return instead), found {'.'.join(member)}"
            found.append(Violation(file, line, rule))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(Violation(file, line, "only reconciler/cli/ prints (log or return instead), found print()"))
    return sorted(set(found), key=lambda violation: (violation.line, violation.rule))


def source_files() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (REPO / package).rglob("*.py"))


def test_the_source_keeps_the_layering_rule() -> None:
    files = source_files()
    assert len(files) > 30, "the walk found the packages' modules"
    violations: list[Violation] = []
    for path in files:
        relative = str(path.relative_to(REPO))
        source = path.read_text(encoding="utf-8")
        violations += check_source(source, relative, module_parts(path), is_package=path.name == "__init__.py")
    assert not violations, "the layering rule (design §9) is broken:\n" + "\n".join(map(str, violations))


# The checker itself: each kind of breach is found, with its line, and what is allowed passes.

PROVIDERS_MODULE = ("providers", "emulator", "_server")


@pytest.mark.parametrize(
    ("source", "line", "rule"),
    [
        ("import reconciler.config\n", 1, "providers/ must not import reconciler"),
        ("from state import State\n", 1, "providers/ must not import state"),
        ("def f():\n    from reconciler import apply\n", 2, "providers/ must not import reconciler"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from state._model import State\n",
            3,
            "providers/ must not import state",
        ),
        ("import importlib\nimportlib.import_module('reconciler.cli')\n", 2, "providers/ must not import reconciler"),
        ("import os\nx = os.environ['HOME']\n", 2, "reads the environment, found os.environ"),
        ("import os as o\n\ndef f():\n    return o.getenv('HOME')\n", 4, "reads the environment, found os.getenv"),
        ("from os import environb\n", 1, "reads the environment, found os.environb"),
        ("print('hello')\n", 1, "prints (log or return instead), found print()"),
        ("import sys\nsys.stderr.write('x')\n", 2, "prints (log or return instead), found sys.stderr"),
        ("from sys import stdout as out\nout.write('x')\n", 1, "found sys.stdout"),
        ("import traceback\ntry:\n    pass\nexcept Exception:\n    traceback.print_exc()\n", 5, "print_exc"),
    ],
)
def test_the_checker_finds_each_kind_of_breach(source: str, line: int, rule: str) -> None:
    violations = check_source(source, "providers/emulator/_server.py", PROVIDERS_MODULE)
    assert violations, f"no breach found in {source!r}"
    assert violations[0].line == line
    assert rule in violations[0].rule
    assert str(violations[0]).startswith(f"providers/emulator/_server.py:{line}: ")


def test_the_checker_resolves_relative_imports() -> None:
    # Inside providers/emulator/: `..state` is the module providers.state, not the state package.
    relative = "from .._types import RecordingStatus\nfrom . import _app\nfrom ..state import x\n"
    assert check_source(relative, "providers/emulator/_server.py", PROVIDERS_MODULE) == []
    absolute = "from state import x\n"
    assert len(check_source(absolute, "providers/emulator/_server.py", PROVIDERS_MODULE)) == 1


def test_the_checker_allows_what_the_rule_allows() -> None:
    allowed = "import logging\nimport os\nfrom providers import Provider\nfrom state import State\nos.path.join('a')\n"
    assert check_source(allowed, "reconciler/apply.py", ("reconciler", "apply")) == []
    in_cli = "import os\nimport sys\nprint(os.environ['HOME'], file=sys.stderr)\n"
    assert check_source(in_cli, "reconciler/cli/_console.py", ("reconciler", "cli", "_console")) == []
    assert check_source("from state import State\n", "state/_file.py", ("state", "_file")) == []
