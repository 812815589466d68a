"""Saved plans (`plan --out FILE`): the plan's JSON plus what is needed to refuse it once it is stale.

A saved plan holds no secret. It records the state's lineage and serial it was made against, and a digest of the
configuration: the non-sensitive content in the clear-text hash, the sensitive values only as a salted digest
(`reconciler._digest`). `apply FILE` refuses the plan when any of them changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler._digest import canonical_json, digest_matches, sensitive_digest
from reconciler.config import Config
from reconciler.errors import PlanFileError
from reconciler.plan._model import ACTIONS, Action, Change, Drift, Plan

__all__ = [
    "PLAN_FILE_KIND",
    "SavedPlan",
    "config_digest",
    "config_matches",
    "read_plan_file",
    "write_plan_file",
]

PLAN_FILE_KIND = "reconciler-plan"


@dataclass(frozen=True, slots=True)
class SavedPlan:
    plan: Plan
    config_digest: str
    tool_version: str


def config_digest(config: Config, salt: str | None = None) -> str:
    """`"<sha256 of the public content>/<salted digest of the secrets>"`: everything that decides a plan."""
    return f"{_public_digest(config)}/{sensitive_digest(_secrets(config), salt) or ''}"


def config_matches(saved_digest: str, config: Config) -> bool:
    """True when `config` is the configuration `saved_digest` was made from."""
    public, _, secret = saved_digest.partition("/")
    return public == _public_digest(config) and digest_matches(secret or None, _secrets(config))


def _public_digest(config: Config) -> str:
    public = {
        "provider": [config.account_id, config.app_id],
        "recordings": [
            [address, r.meeting_id, r.status, r.public_fields()] for address, r in config.recordings.items()
        ],
        "moved": [[move.from_address, move.to_address] for move in config.moved],
    }
    return hashlib.sha256(canonical_json(public)).hexdigest()


def _secrets(config: Config) -> dict[str, str]:
    return {
        f"{address}:{path}": value
        for address, recording in config.recordings.items()
        for path, value in recording.sensitive_values().items()
    }


def write_plan_file(path: Path, plan: Plan, config: Config, tool_version: str) -> None:
    document = {
        "kind": PLAN_FILE_KIND,
        "tool_version": tool_version,
        "config_digest": config_digest(config),
        **plan.to_json(),
    }
    # A new temp file of our own (never an existing file, never through a link), then renamed over `path`: a link
    # at `path` is replaced, not written through.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=1)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_plan_file(path: Path) -> SavedPlan:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFileError(f"plan file {path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlanFileError(f"{path} is not a saved plan: {error}") from None
    except RecursionError:
        raise PlanFileError(f"{path} is not a saved plan: it is nested far too deeply") from None
    if not isinstance(document, dict) or document.get("kind") != PLAN_FILE_KIND:
        raise PlanFileError(f"{path} is not a saved plan (made by `reconciler plan --out FILE`)")
    if document.get("format_version") != "1":
        raise PlanFileError(f"{path}: unknown plan format_version {document.get('format_version')!r}")
    try:
        state = document["state"]
        plan = Plan(
            changes=tuple(_change(item) for item in document["changes"]),
            lineage=_str(state["lineage"]),
            serial=_int(state["serial"]),
            warnings=tuple(_str(item) for item in document.get("warnings", [])),
        )
        return SavedPlan(plan, _str(document["config_digest"]), _str(document.get("tool_version", "")))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise PlanFileError(f"{path} is damaged ({error}); make a new plan with `reconciler plan --out`") from None


def _change(item: Mapping[str, Any]) -> Change:
    actions = tuple(_action(action) for action in item["actions"])
    return Change(
        address=_str(item["address"]),
        meeting_id=_str(item["meeting_id"]),
        actions=actions,
        reason=_str(item["reason"]),
        recording_id=_optional_str(item.get("recording_id")),
        status=_optional_str(item.get("status")),
        moved_from=_optional_str(item.get("moved_from")),
        drift=tuple(_drift(entry) for entry in item.get("drift", [])),
    )


def _drift(item: Mapping[str, Any]) -> Drift:
    if item.get("sensitive"):
        return Drift(path=_str(item["path"]), sensitive=True)
    return Drift(path=_str(item["path"]), before=item.get("before"), after=item.get("after"))


def _action(value: Any) -> Action:
    for action in ACTIONS:
        if value == action:
            return action
    raise ValueError(f"unknown action {value!r}")


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, found {value!r}")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected a whole number, found {value!r}")
    return value
