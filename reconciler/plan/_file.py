"""Saved plans (`plan --out FILE`): everything `plan` showed, plus what `apply FILE` needs to check it still holds.

A saved plan holds no secret. It keeps the plan as shown (changes with their fields, notes, drift, warnings and the
refresh events), the configuration it was made from (its path as given, and a digest: the non-sensitive content
in the clear-text hash, the sensitive values only as a salted digest, `reconciler._digest`), the binding and the
`--target`/`--replace` options, and a SHA-256 digest of all of that, so that a file edited by hand (or cut short)
is refused. The digest is not a signature: it tells an accident or a careless edit, not a forger with the tool.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler._digest import canonical_json, digest_matches, sensitive_digest
from reconciler.config import Config
from reconciler.errors import PlanFileError
from reconciler.plan._model import Plan
from state import Binding

__all__ = [
    "PLAN_FILE_KIND",
    "SavedPlan",
    "config_digest",
    "config_matches",
    "plan_file_document",
    "read_plan_file",
    "write_plan_file",
]

PLAN_FILE_KIND = "reconciler-plan"
FILE_VERSION = 2  # 2: the plan as shown (notes, fields, events), config path, binding, options and a digest


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """A plan as saved: the plan, the configuration it was made from (path as given, digest), what the run pointed
    at (`binding`; None when nothing was sent to make it), the options that shaped it, and the tool's version."""

    plan: Plan
    config_digest: str
    config_path: str
    binding: Binding | None
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    tool_version: str = ""


def config_digest(config: Config, salt: str | None = None) -> str:
    """`"<sha256 of the public content>/<salted digest of the secrets>"`: everything that decides a plan."""
    return f"{_public_digest(config)}/{sensitive_digest(_secrets(config), salt, per_value=False) or ''}"


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


def plan_file_document(saved: SavedPlan) -> dict[str, Any]:
    """The JSON document of a saved plan, its own digest included."""
    binding = saved.binding
    document: dict[str, Any] = {
        "kind": PLAN_FILE_KIND,
        "file_version": FILE_VERSION,
        "tool_version": saved.tool_version,
        "config": {"path": saved.config_path, "digest": saved.config_digest},
        "binding": None
        if binding is None
        else {"account_id": binding.account_id, "app_id": binding.app_id, "api": binding.api},
        "options": {"targets": list(saved.targets), "replace": list(saved.replace)},
        "plan": saved.plan.to_json(),
    }
    document["digest"] = content_digest(document)
    return document


def content_digest(document: dict[str, Any]) -> str:
    """`sha256:<hex>` of the document's canonical JSON, without its `digest` key."""
    content = {key: value for key, value in document.items() if key != "digest"}
    return "sha256:" + hashlib.sha256(canonical_json(content)).hexdigest()


def write_plan_file(path: Path, saved: SavedPlan) -> None:
    """Write `saved` at `path` (mode 0600), replacing what is there; never through a link, never half written."""
    if path.is_dir():
        raise PlanFileError(f"--out {path} is a folder: name a file, such as {path / 'plan.json'}")
    text = json.dumps(plan_file_document(saved), indent=1, ensure_ascii=False) + "\n"
    # A new temp file of our own (never an existing file, never through a link), then renamed over `path`: a link
    # at `path` is replaced, not written through.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise PlanFileError(f"cannot write the plan to {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise PlanFileError(f"cannot write the plan to {path}: {error.strerror or error}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_plan_file(path: Path) -> SavedPlan:
    """The saved plan at `path`; raises `PlanFileError` saying what is wrong with it, in the file's own terms."""
    from reconciler.plan._file_read import saved_plan_from

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlanFileError(f"plan file {path} not found") from None
    except IsADirectoryError:
        raise PlanFileError(f"{path} is a folder, not a saved plan") from None
    except OSError as error:
        raise PlanFileError(f"cannot read the plan file {path}: {error.strerror or error}") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanFileError(f"{path} is not a saved plan: it is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"{path} is not a saved plan: it is not valid JSON ({error.msg} at line {error.lineno})"
        ) from None
    except RecursionError:
        raise PlanFileError(f"{path} is not a saved plan: it is nested far too deeply") from None
    return saved_plan_from(document, path, expected_digest=content_digest)
