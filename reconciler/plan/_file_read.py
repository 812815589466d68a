"""Reading a saved plan back: every value checked for its type, every problem said in the file's own terms
(`plan.changes[3].actions: expected a list of actions, found null`), never in Python's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast, get_args

from reconciler._events import EventKind, RefreshEvent
from reconciler.errors import PlanFileError
from reconciler.plan._model import ACTIONS, Action, Change, Drift, Plan
from state import Binding

if TYPE_CHECKING:
    from reconciler.plan._file import SavedPlan

__all__ = ["saved_plan_from"]

_KIND = "reconciler-plan"
_VERSION = 2
_EVENT_KINDS = frozenset(get_args(EventKind))
_ADDRESS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class _Bad(Exception):
    """A value of the file is not what a saved plan holds there."""


def saved_plan_from(document: Any, path: Path, *, expected_digest: Callable[[dict[str, Any]], str]) -> SavedPlan:
    """The `SavedPlan` in a parsed plan file; raises `PlanFileError`."""
    from reconciler.plan._file import SavedPlan

    again = "make a new plan with `reconciler plan --out FILE`"
    if not isinstance(document, dict) or document.get("kind") != _KIND:
        raise PlanFileError(f"{path} is not a saved plan (made by `reconciler plan --out FILE`)")
    version = document.get("file_version")
    if version != _VERSION:
        made = "an older" if version is None or (type(version) is int and version < _VERSION) else "another"
        raise PlanFileError(
            f"{path} was made by {made} version of reconciler (plan file version {_shown(version)}); {again}"
        )
    if document.get("digest") != expected_digest(document):
        raise PlanFileError(f"{path} was changed after it was made (its digest does not match its content); {again}")
    try:
        config = _object(document.get("config"), "config")
        binding = document.get("binding")
        options = _object(document.get("options"), "options")
        return SavedPlan(
            plan=_plan(_object(document.get("plan"), "plan")),
            config_digest=_text(config.get("digest"), "config.digest"),
            config_path=_text(config.get("path"), "config.path"),
            binding=None if binding is None else _binding(_object(binding, "binding")),
            targets=tuple(_texts(options.get("targets"), "options.targets")),
            replace=tuple(_texts(options.get("replace"), "options.replace")),
            tool_version=_text(document.get("tool_version"), "tool_version"),
        )
    except _Bad as problem:
        raise PlanFileError(f"{path} is damaged: {problem}; {again}") from None


def _plan(raw: dict[str, Any]) -> Plan:
    state = _object(raw.get("state"), "plan.state")
    return Plan(
        changes=tuple(
            _change(item, f"plan.changes[{n}]") for n, item in enumerate(_list(raw.get("changes"), "plan.changes"))
        ),
        lineage=_text(state.get("lineage"), "plan.state.lineage"),
        serial=_int(state.get("serial"), "plan.state.serial"),
        workspace=_text(state.get("workspace"), "plan.state.workspace"),
        warnings=tuple(_texts(raw.get("warnings"), "plan.warnings")),
        events=tuple(
            _event(item, f"plan.refresh[{n}]") for n, item in enumerate(_list(raw.get("refresh"), "plan.refresh"))
        ),
    )


def _change(raw: Any, where: str) -> Change:
    item = _object(raw, where)
    actions = _list(item.get("actions"), f"{where}.actions")
    if not actions:
        _fail(f"{where}.actions", "at least one action", actions)
    address = _text(item.get("address"), f"{where}.address")
    if _ADDRESS.fullmatch(address) is None:
        _fail(f"{where}.address", "an address such as allhands.landscape", address)
    fields = item.get("fields", {})
    return Change(
        address=address,
        meeting_id=_text(item.get("meeting_id"), f"{where}.meeting_id"),
        actions=tuple(_action(action, f"{where}.actions[{n}]") for n, action in enumerate(actions)),
        reason=_text(item.get("reason"), f"{where}.reason"),
        recording_id=_optional_text(item.get("recording_id"), f"{where}.recording_id"),
        status=_optional_text(item.get("status"), f"{where}.status"),
        moved_from=_optional_text(item.get("moved_from"), f"{where}.moved_from"),
        drift=tuple(
            _drift(entry, f"{where}.drift[{n}]")
            for n, entry in enumerate(_list(item.get("drift", []), f"{where}.drift"))
        ),
        notable=_bool(item.get("notable", False), f"{where}.notable"),
        fields=_object(fields, f"{where}.fields"),
        sensitive=tuple(_texts(item.get("sensitive", []), f"{where}.sensitive")),
    )


def _drift(raw: Any, where: str) -> Drift:
    item = _object(raw, where)
    path = _text(item.get("path"), f"{where}.path")
    if _bool(item.get("sensitive", False), f"{where}.sensitive"):
        return Drift(path=path, sensitive=True)
    return Drift(path=path, before=item.get("before"), after=item.get("after"))


def _event(raw: Any, where: str) -> RefreshEvent:
    item = _object(raw, where)
    kind = _text(item.get("kind"), f"{where}.kind")
    if kind not in _EVENT_KINDS:
        _fail(f"{where}.kind", "a kind of refresh event", kind)
    return RefreshEvent(
        address=_text(item.get("address"), f"{where}.address"),
        kind=cast(EventKind, kind),
        message=_text(item.get("message"), f"{where}.message"),
        recording_id=_optional_text(item.get("recording_id"), f"{where}.recording_id"),
    )


def _binding(raw: dict[str, Any]) -> Binding:
    return Binding(
        account_id=_text(raw.get("account_id"), "binding.account_id"),
        app_id=_text(raw.get("app_id"), "binding.app_id"),
        api=_text(raw.get("api"), "binding.api"),
    )


def _action(value: Any, where: str) -> Action:
    for action in ACTIONS:
        if value == action:
            return action
    _fail(where, f"one of {', '.join(ACTIONS)}", value)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(where, "an object", value)
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(where, "a list", value)
    return value


def _texts(value: Any, where: str) -> list[str]:
    return [_text(item, f"{where}[{n}]") for n, item in enumerate(_list(value, where))]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        _fail(where, "a string", value)
    return value


def _optional_text(value: Any, where: str) -> str | None:
    return None if value is None else _text(value, where)


def _int(value: Any, where: str) -> int:
    if type(value) is not int:
        _fail(where, "a whole number", value)
    return value


def _bool(value: Any, where: str) -> bool:
    if type(value) is not bool:
        _fail(where, "true or false", value)
    return value


def _fail(where: str, expected: str, found: Any) -> NoReturn:
    raise _Bad(f"{where}: expected {expected}, found {_shown(found)}")


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 60 else text[:57] + "..."
