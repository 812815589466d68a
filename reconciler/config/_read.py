"""One configuration file, read: TOML parsed, `${env:NAME}` resolved, every table checked against the models.

Nothing here raises for bad input: each problem is appended to the run's list, so that all problems of all
files are reported together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli
from pydantic_core import ValidationError

from reconciler.config._desired import SourceLocation
from reconciler.config._env import EnvProblem, substitute_env
from reconciler.config._models import FILE_ADAPTER
from reconciler.config._problems import Keys, Problem, is_sensitive

if TYPE_CHECKING:
    from reconciler.config._lines import KeyLines

__all__ = ["MAX_DEPTH", "Source", "nested_too_deeply", "read_source"]

# How deep tables and arrays may nest. A configuration needs 7 (meetings.M.recordings.R.video_config.watermark.size);
# a file nested far deeper is refused before anything walks it (a walk by recursion would overflow).
MAX_DEPTH = 32


@dataclass(slots=True, eq=False, repr=False)
class Source:
    """A file that parsed: its `document` with references resolved, and which strings came from the env.
    Two sources are equal only when they are the same object. Its `repr` is the file's name alone: the document
    holds the secrets resolved from the environment."""

    file: Path
    text: str
    document: dict[str, Any]
    from_env: set[Keys]
    location: SourceLocation = field(init=False)  # one for all the file's recordings
    _lines: KeyLines | None = None

    def __post_init__(self) -> None:
        self.location = SourceLocation(self.file)

    def __repr__(self) -> str:
        return f"Source(file={str(self.file)!r})"

    def line_of(self, keys: Keys) -> int | None:
        """The line of `keys` (or of its nearest enclosing table) in this file."""
        if self._lines is None:
            from reconciler.config._lines import KeyLines  # only errors and warnings need lines

            self._lines = KeyLines(self.text)
        return self._lines.line_of(keys)


def read_source(
    file: Path, env: Mapping[str, str], problems: list[Problem], missing: set[str] | None = None
) -> Source | None:
    """The file read and checked; None (with the reason in `problems`) when it cannot be parsed at all. With a
    `missing` set, a variable that is not set is added to it instead of being a problem (and the values that use
    it are not checked)."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        problems.append(Problem(file, (), "UTF-8 text", "other bytes", summary=f"the file is not UTF-8: {error}"))
        return None
    except OSError as error:
        problems.append(Problem(file, (), "a readable file", "an error", summary=f"cannot read: {error.strerror}"))
        return None
    try:
        raw = tomli.loads(text)
    except RecursionError:
        problems.append(_too_deep(file))
        return None
    except tomli.TOMLDecodeError as error:
        reason = error.msg
        problems.append(
            Problem(
                file,
                (),
                "valid TOML",
                reason,
                line=error.lineno,
                column=error.colno,
                summary=f"TOML syntax error: {reason}",
            )
        )
        return None
    if nested_too_deeply(raw):
        problems.append(_too_deep(file))
        return None
    substitution = substitute_env(raw, env)
    source = Source(file, text, raw, substitution.from_env)
    found = substitution.problems
    if missing is not None:
        missing.update(problem.name for problem in found if problem.name is not None)
        found = [problem for problem in found if problem.name is None]
    problems += _env_problems(source, found)
    try:
        FILE_ADAPTER.validate_python(source.document)
    except ValidationError as error:
        from reconciler.config._explain import from_pydantic

        unresolved = {problem.keys for problem in substitution.problems}  # reported already, as env problems
        problems += [
            from_pydantic(file, detail)
            for detail in error.errors(include_url=False)
            if tuple(detail["loc"]) not in unresolved
        ]
    return source


def nested_too_deeply(document: dict[str, Any]) -> bool:
    """Whether tables and arrays nest more than `MAX_DEPTH` deep (found without recursion, so at any depth)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        for child in value.values() if type(value) is dict else value:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return False


def _too_deep(file: Path) -> Problem:
    summary = f"tables or arrays nested more than {MAX_DEPTH} deep (a configuration needs at most 7)"
    return Problem(file, (), f"at most {MAX_DEPTH} levels of nesting", "deeper nesting", summary=summary)


def _env_problems(source: Source, found: list[EnvProblem]) -> list[Problem]:
    """One problem per missing variable (at its first use), one per malformed reference."""
    problems: list[Problem] = []
    missing: dict[str, list[Keys]] = {}
    for problem in found:
        if problem.name is not None:
            missing.setdefault(problem.name, []).append(problem.keys)
            continue
        sensitive = is_sensitive(problem.keys)
        problems.append(
            Problem(
                source.file,
                problem.keys,
                "${env:NAME} (NAME made of letters, digits and _), or $${ for a literal ${",
                "a malformed ${...} reference" if sensitive else f'"{problem.reference}"',
                hint="write $${ for a literal ${",
            )
        )
    for name, places in missing.items():
        more = len(places) - 1
        problems.append(
            Problem(
                source.file,
                places[0],
                f"environment variable {name} to be set",
                "it is not set (or is empty)",
                hint=f"it is used in {more} more place{'s' if more > 1 else ''} of this file" if more else "",
                summary=f"environment variable {name} is not set (or is empty)",
            )
        )
    return problems
