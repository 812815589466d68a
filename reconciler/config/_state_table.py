"""Where the state lives: the `[state]` tables of the configuration's files, read one way for every command.

`load_config` reads them with the rest of the configuration. The commands that only read or edit the state
(`state list`, `show`, `force-unlock`, ...) read them alone with `read_state_table`, without validating anything
else, so that they work where the secrets are not set. Either way `path` is relative to the file that sets it,
`${env:NAME}` is resolved, two files that set a key differently are an error naming both, and `path` and `url` may
not both be set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import tomli

from reconciler.config._desired import StateTable
from reconciler.config._env import substitute_env
from reconciler.config._problems import Problem
from reconciler.config._read import MAX_DEPTH, Source, nested_too_deeply
from reconciler.errors import ConfigError

__all__ = ["StateTable", "combine_state_tables", "read_state_table"]

_KEYS = ("path", "url", "workspace", "schema")


def combine_state_tables(sources: Iterable[Source], problems: list[Problem]) -> StateTable:
    """The `[state]` tables of `sources` (values resolved) as one; each conflict goes to `problems`. A value of the
    wrong type was reported by the models: it is skipped here."""
    values: dict[str, tuple[Source, str | Path]] = {}
    for source in sources:
        table = source.document.get("state")
        for key in _KEYS:
            value = table.get(key) if isinstance(table, dict) else None
            if not isinstance(value, str) or not value:
                continue
            here: str | Path = source.file.parent / value if key == "path" else value
            first = values.setdefault(key, (source, here))
            if first[1] != here:
                where = f"{first[0].file}:{first[0].line_of(('state', key)) or '?'}"
                expected = f"the same value as in {where}"
                summary = f"state.{key} is also set, to a different value, in {where}; set it in one file"
                problems.append(Problem(source.file, ("state", key), expected, "a different value", summary=summary))
    if "path" in values and "url" in values:
        source = values["url"][0]
        summary = "state.path and state.url are both set: the state is a file or a database, not both"
        problems.append(Problem(source.file, ("state", "url"), "either path or url", "both", summary=summary))
    path = values.get("path")
    return StateTable(
        path=None if path is None else Path(path[1]),
        url=_text(values.get("url")),
        workspace=_text(values.get("workspace")),
        schema=_text(values.get("schema")),
    )


def _text(found: tuple[Source, str | Path] | None) -> str | None:
    return None if found is None else str(found[1])


def read_state_table(files: Iterable[Path], env: Mapping[str, str]) -> StateTable:
    """The `[state]` tables of `files` alone. Raises `ConfigError` when a file cannot be read as TOML, or its
    `[state]` table is wrong (each problem names the file and line)."""
    problems: list[Problem] = []
    sources = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
            document = tomli.loads(text)
            if nested_too_deeply(document):
                raise RecursionError
        except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError, RecursionError) as error:
            found = getattr(error, "msg", None) or getattr(error, "strerror", None) or str(error)
            if isinstance(error, RecursionError):
                found = f"tables or arrays nested more than {MAX_DEPTH} deep"
            problems.append(Problem(file, (), "a TOML file", found, summary=f"cannot read its [state] table: {found}"))
            continue
        table = document.get("state")
        state = {"state": table} if isinstance(table, dict) else {}
        substitution = substitute_env(state, env)
        for unresolved in substitution.problems:
            name = f"{unresolved.reference}, an unset variable" if unresolved.name else "a malformed ${...}"
            problems.append(Problem(file, unresolved.keys, "a path", name))
        for key in _KEYS:
            value = table.get(key) if isinstance(table, dict) else None
            if isinstance(table, dict) and key in table and not (isinstance(value, str) and value):
                problems.append(Problem(file, ("state", key), "a non-empty string", "something else"))
        sources.append(Source(file, text, state, substitution.from_env))
    table = combine_state_tables(sources, problems)
    if problems:
        located = [problem.at_line(_line(problem, sources)) for problem in problems]
        raise ConfigError([f"{problem.message} (or pass --state)" for problem in located], located)
    return table


def _line(problem: Problem, sources: list[Source]) -> int | None:
    source = next((source for source in sources if source.file == problem.file), None)
    return source.line_of(problem.keys) if source is not None and problem.keys else problem.line
