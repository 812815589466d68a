"""Explain, field by field, how declared fields differ from the ones a recording was started with.

Only called for recordings whose fields or sensitive digest already differ (decided by plain comparison), so the
cost of deepdiff is paid only where there is something to explain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler._digest import digest_matches
from reconciler.plan._model import Drift

__all__ = ["explain_drift", "has_drift"]


def has_drift(
    started_fields: Mapping[str, Any],
    started_digest: str | None,
    declared_fields: Mapping[str, Any],
    declared_secrets: Mapping[str, str],
) -> bool:
    return dict(started_fields) != dict(declared_fields) or not digest_matches(started_digest, declared_secrets)


def explain_drift(
    started_fields: Mapping[str, Any],
    started_digest: str | None,
    declared_fields: Mapping[str, Any],
    declared_secrets: Mapping[str, str],
) -> tuple[Drift, ...]:
    """One `Drift` per changed leaf (sorted by path); secrets only as "(sensitive value changed)"."""
    drifts: list[Drift] = []
    if dict(started_fields) != dict(declared_fields):
        from deepdiff import DeepDiff

        tree = DeepDiff(dict(started_fields), dict(declared_fields), view="tree")
        for kind in ("values_changed", "type_changes", "dictionary_item_added", "dictionary_item_removed"):
            for level in tree.get(kind, ()):
                path = ".".join(str(part) for part in level.path(output_format="list"))
                before = None if kind == "dictionary_item_added" else level.t1
                after = None if kind == "dictionary_item_removed" else level.t2
                drifts.append(Drift(path=path, before=before, after=after))
    if not digest_matches(started_digest, declared_secrets):
        drifts.append(Drift(path=_sensitive_label(declared_secrets), sensitive=True))
    return tuple(sorted(drifts, key=lambda drift: drift.path))


def _sensitive_label(declared_secrets: Mapping[str, str]) -> str:
    # The digest covers all secrets at once, so which one changed is unknown; name the ones declared now.
    if not declared_secrets:
        return "sensitive fields (removed)"
    return ", ".join(sorted(declared_secrets))
