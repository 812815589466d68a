"""`${env:NAME}` in string values (design §3.2): substitution, with every missing or malformed reference found.

`$${` is a literal `${`. Any other `${...}` that is not `${env:NAME}` (NAME: letters, digits, `_`, not starting
with a digit) is an error, so a typo never reaches the API as text. A variable that is set but empty counts as
missing: an empty secret is almost always a CI secret that was not passed on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EnvProblem", "Substitution", "substitute_env"]

Keys = tuple[str | int, ...]

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)(\}?)")
_ENV_NAME = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class EnvProblem:
    """A reference that cannot be resolved: a missing variable (`name` set) or a malformed `${...}`."""

    keys: Keys
    reference: str
    name: str | None


@dataclass(slots=True)
class Substitution:
    """What `substitute_env` found besides the values: the problems, and which strings used the env."""

    problems: list[EnvProblem] = field(default_factory=list)
    # Keys of strings that held at least one `${env:...}` reference (to tell a literal secret from one taken
    # from the environment).
    from_env: set[Keys] = field(default_factory=set)


def substitute_env(document: dict[str, Any], env: Mapping[str, str]) -> Substitution:
    """Replace every `${env:NAME}` of `document` in place; problems are collected, never raised."""
    result = Substitution()
    _walk_table(document, (), env, result)
    return result


# These two run over every value of a 10,000-meeting file: a key path is built only for a string with a `$`.


def _walk_table(table: dict[str, Any], keys: Keys, env: Mapping[str, str], result: Substitution) -> None:
    for key, value in table.items():
        kind = type(value)
        if kind is str:
            if "$" in value:
                table[key] = _resolve(value, (*keys, key), env, result)
        elif kind is dict:
            _walk_table(value, (*keys, key), env, result)
        elif kind is list:
            _walk_array(value, (*keys, key), env, result)


def _walk_array(array: list[Any], keys: Keys, env: Mapping[str, str], result: Substitution) -> None:
    for index, value in enumerate(array):
        kind = type(value)
        if kind is str:
            if "$" in value:
                array[index] = _resolve(value, (*keys, index), env, result)
        elif kind is dict:
            _walk_table(value, (*keys, index), env, result)
        elif kind is list:
            _walk_array(value, (*keys, index), env, result)


def _resolve(text: str, keys: Keys, env: Mapping[str, str], result: Substitution) -> str:
    def replace(match: re.Match[str]) -> str:
        reference = match.group(0)
        if reference == "$${":
            return "${"
        body, closed = match.group(1), match.group(2)
        name = _ENV_NAME.fullmatch(body) if closed else None
        if name is None:
            result.problems.append(EnvProblem(keys, reference, None))
            return reference
        result.from_env.add(keys)
        value = env.get(name.group(1), "")
        if not value:
            result.problems.append(EnvProblem(keys, reference, name.group(1)))
        return value

    return _REFERENCE.sub(replace, text)
