"""Build the wheel with a single top-level import package, `reconciler` (design §10).

The repository keeps three folders side by side, `reconciler/`, `providers/` and `state/`, which import each
other absolutely (`from providers import ...`); mypy, pytest and the tests run on the checkout that way. But
`providers` and `state` are names other projects already install into site-packages, so the wheel must not hold
them at its top level. The build therefore moves them under `reconciler/` (`package_dir` below) and rewrites, in
the built copies only, every absolute import of them: `from providers.x import y` becomes
`from reconciler.providers.x import y`. The imports are found with `ast` and edited at the node's own position,
so strings, docstrings and comments are never touched, and multi-line imports and imports inside functions or
`if TYPE_CHECKING:` blocks are handled alike. Everything else (metadata, version) is in `pyproject.toml`.

Development does not install this package: `make` puts the checkout itself on the venv's path (a `.pth` file).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

MOVED = ("providers", "state")  # folders that become subpackages of `reconciler` in the wheel
_AFTER_FROM = re.compile(rb"from(?:[ \t\f]|\\\r?\n)+")  # `from`, then blanks or line continuations


def _is_moved(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in MOVED


def rewrite_imports(source: bytes) -> bytes:
    """`source` with `reconciler.` put before every absolute module name that starts with a moved package."""
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    offsets: list[int] = []  # where "reconciler." goes; ast's columns count UTF-8 bytes, as these offsets do
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _is_moved(node.module):
            keyword = line_starts[node.lineno - 1] + node.col_offset
            found = _AFTER_FROM.match(source, keyword)
            if found is None:
                raise ValueError(f"line {node.lineno}: cannot find the module name after `from`")
            offsets.append(found.end())
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if not _is_moved(alias.name):
                    continue
                if alias.asname is None:  # `import providers.x` binds `providers`; a prefix would bind `reconciler`
                    raise ValueError(f"line {node.lineno}: write `from ... import` or `import {alias.name} as ...`")
                offsets.append(line_starts[alias.lineno - 1] + alias.col_offset)
    for offset in sorted(offsets, reverse=True):
        source = source[:offset] + b"reconciler." + source[offset:]
    return source


class BuildPyMovingImports(build_py):
    """`build_py` that rewrites the imports of the moved packages in every module it copies."""

    def build_module(self, module: str, module_file: str, package: str) -> tuple[str, bool]:
        outfile, copied = super().build_module(module, module_file, package)
        built = Path(outfile)
        try:
            built.write_bytes(rewrite_imports(built.read_bytes()))  # idempotent: rewritten names no longer match
        except (SyntaxError, ValueError) as error:
            raise SystemExit(f"{module_file}: {error}") from None
        return outfile, copied


def _packages() -> list[str]:
    """`reconciler` and its subpackages, then each moved folder and its subpackages under `reconciler.`."""
    packages = find_packages(include=["reconciler", "reconciler.*"])
    for name in MOVED:
        packages += [f"reconciler.{name}", *(f"reconciler.{name}.{sub}" for sub in find_packages(where=name))]
    return packages


setup(
    packages=_packages(),
    package_dir={f"reconciler.{name}": name for name in MOVED},
    package_data={"reconciler": ["py.typed"]},
    cmdclass={"build_py": BuildPyMovingImports},
)
