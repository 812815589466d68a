"""Explaining a pydantic validation error as a `Problem`, in the words of the models.

What a problem says was expected is read from the models themselves (`_models.py`: types, enums, ranges,
patterns), so a message never drifts from the rule that produced it; an unknown key gets the keys its table
accepts and a "did you mean". Only the error path imports this module (and so pydantic).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal, Required, get_args, get_origin, get_type_hints

from pydantic_core import ErrorDetails
from typing_extensions import is_typeddict

from reconciler.config._models import RECORDING_FIELDS, ConfigFile
from reconciler.config._patterns import PATTERN_DESCRIPTIONS
from reconciler.config._problems import Keys, Problem, describe_value, did_you_mean, format_path, is_sensitive

__all__ = ["allowed_keys", "from_pydantic"]


def from_pydantic(file: Path, error: ErrorDetails) -> Problem:
    """A pydantic validation error as a `Problem` (lines are filled in later, only when needed)."""
    loc = error["loc"]
    kind = error["type"]
    if loc and loc[-1] == "[key]":  # a table key that is not a valid name
        keys: Keys = tuple(loc[:-1])
        found = describe_value(error["input"], sensitive=is_sensitive(keys))
        return Problem(file, keys, PATTERN_DESCRIPTIONS[error["ctx"]["pattern"]], found)
    keys = tuple(loc)
    if kind == "extra_forbidden":
        return _unknown_key(file, keys)
    sensitive = is_sensitive(keys)
    annotation = _annotation_at(keys)
    expected = _describe(annotation) if annotation is not None else error["msg"].lower()
    if kind == "missing":
        return Problem(file, keys, expected, "nothing")
    if kind == "too_short" and isinstance(error["input"], dict):
        return Problem(file, keys, expected, "an empty table")
    found = describe_value(error["input"], sensitive=sensitive)
    return Problem(file, keys, expected, found)


def _unknown_key(file: Path, keys: Keys) -> Problem:
    parent, key = keys[:-1], str(keys[-1])
    allowed = allowed_keys(parent)
    where = format_path(parent) or "the top level"
    hint = did_you_mean(key, allowed)
    if not hint and key in RECORDING_FIELDS:
        if len(parent) == 2 and parent[0] == "meetings":
            table = format_path((*parent, "recordings", "default"))
            hint = f"recording fields go in a recording table, such as [{table}], or in [defaults]"
        elif not parent:
            hint = "recording fields go in [defaults] or in a recording table"
    expected = f"a key of {where} ({', '.join(allowed)})" if allowed else "no such key"
    return Problem(file, keys, expected, f"unknown key {key!r}", hint=hint)


def allowed_keys(keys: Keys) -> tuple[str, ...]:
    """The keys the table at `keys` accepts (empty when `keys` is not a table of the models)."""
    annotation = _annotation_at(keys)
    base, _ = _unwrap(annotation) if annotation is not None else (None, [])
    return tuple(_hints(base)) if base is not None and is_typeddict(base) else ()


def _annotation_at(keys: Keys) -> Any:
    """The model annotation at `keys`, walking tables, arrays and keyed tables; None when off the models."""
    current: Any = ConfigFile
    for key in keys:
        base, _ = _unwrap(current)
        origin = get_origin(base)
        if is_typeddict(base):
            current = _hints(base).get(str(key))
        elif origin is dict:
            current = get_args(base)[1]
        elif origin is list and isinstance(key, int):
            current = get_args(base)[0]
        else:
            return None
        if current is None:
            return None
    return current


@cache
def _hints(typed_dict: Any) -> dict[str, Any]:
    return get_type_hints(typed_dict, include_extras=True)


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The bare type under `Required[...]`/`Annotated[...]`, and the constraints found on the way."""
    constraints: list[Any] = []
    while True:
        if hasattr(annotation, "__metadata__"):
            for item in annotation.__metadata__:
                constraints.extend(getattr(item, "metadata", [item]))
            annotation = annotation.__origin__
        elif get_origin(annotation) is Required:
            annotation = get_args(annotation)[0]
        else:
            return annotation, constraints


def _describe(annotation: Any) -> str:
    base, constraints = _unwrap(annotation)
    limits = {
        name: getattr(item, name)
        for item in constraints
        for name in ("ge", "le", "min_length", "max_length", "pattern")
        if getattr(item, name, None) is not None
    }
    if get_origin(base) is Literal:
        return "one of " + ", ".join(json.dumps(choice) for choice in get_args(base))
    if base is bool:
        return "true or false"
    if base is int:
        if "ge" in limits and "le" in limits:
            return f"a whole number from {limits['ge']} to {limits['le']}"
        return f"a whole number of at least {limits['ge']}" if "ge" in limits else "a whole number"
    if base is str:
        if "pattern" in limits:
            text = PATTERN_DESCRIPTIONS[limits["pattern"]]
            return f"{text}, at most {limits['max_length']} characters" if "max_length" in limits else text
        return "a non-empty string" if "min_length" in limits else "a string"
    if get_origin(base) is list:
        return "an array of tables"
    if get_origin(base) is dict and "min_length" in limits:
        return "at least one recording table"
    return "a table"
