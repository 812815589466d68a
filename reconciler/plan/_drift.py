"""Explain, field by field, how declared fields differ from the ones a recording was started with.

Only called for recordings whose fields or sensitive digest already differ (decided by plain comparison), so the
cost of deepdiff is paid only where there is something to explain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler._digest import changed_secrets, digest_matches
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
    """One `Drift` per changed leaf (sorted by path); a secret only as a sensitive `Drift`, one per secret that
    changed (or, for a digest of an older state that cannot tell which, one naming every secret declared)."""
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
        changed = changed_secrets(started_digest, declared_secrets)
        if changed is None:  # a digest of all secrets at once: which one changed is unknown
            label = " or ".join(sorted(declared_secrets)) or "sensitive fields (removed)"
            drifts.append(Drift(path=label, sensitive=True))
        else:
            drifts += [Drift(path=path, sensitive=True) for path in changed]
    return tuple(sorted(drifts, key=lambda drift: drift.path))
