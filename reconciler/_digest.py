"""Salted digests: how a change of a secret is detected without the secret being stored.

`sensitive_digest` is what the state and a saved plan keep in place of sensitive values: `"<salt>$<hmac>"`, an
HMAC-SHA256 keyed by a random salt over the canonical JSON of the values. The same values give a different digest
under a different salt, so a digest cannot be looked up in a table of common secrets. The state's digests add one
short HMAC per value (`"<salt>$<hmac>$<path>=<hmac of that value>,…"`), so that a plan names the one secret that
changed rather than all of them; a digest without them (older states) still matches, and then names them all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical_json", "changed_secrets", "digest_matches", "sensitive_digest"]

_FIELD_MAC = 16  # hex digits of each value's own HMAC: enough to tell a change, not a way to recover anything


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sensitive_digest(values: Mapping[str, str], salt: str | None = None, *, per_value: bool = True) -> str | None:
    """The salted digest of `values` (None when there are none). A fresh salt is drawn unless one is given.
    `per_value` adds each value's own short HMAC (keyed by its dotted path), for `changed_secrets`."""
    if not values:
        return None
    salt = salt if salt is not None else secrets.token_hex(8)
    mac = hmac.new(salt.encode(), canonical_json(dict(values)), hashlib.sha256).hexdigest()
    if not per_value:
        return f"{salt}${mac}"
    each = ",".join(f"{path}={_value_mac(salt, path, values[path])}" for path in sorted(values))
    return f"{salt}${mac}${each}"


def changed_secrets(digest: str | None, values: Mapping[str, str]) -> tuple[str, ...] | None:
    """The dotted paths whose secret differs between `digest` and `values` (set, changed or removed), sorted; None
    when `digest` does not say value by value (it was made before per-value digests existed)."""
    if digest is None:
        return tuple(sorted(values))
    salt, _, rest = digest.partition("$")
    _, separator, each = rest.partition("$")
    if not separator:
        return None
    stored: dict[str, str] = {}
    for item in each.split(","):
        path, _, mac = item.partition("=")
        stored[path] = mac
    paths = set(stored) | set(values)
    return tuple(
        sorted(
            path
            for path in paths
            if path not in values
            or path not in stored
            or not hmac.compare_digest(stored[path], _value_mac(salt, path, values[path]))
        )
    )


def _value_mac(salt: str, path: str, value: str) -> str:
    return hmac.new(salt.encode(), canonical_json({path: value}), hashlib.sha256).hexdigest()[:_FIELD_MAC]


def digest_matches(digest: str | None, values: Mapping[str, str]) -> bool:
    """True when `values` are the ones `digest` was made from (both empty counts as a match)."""
    if digest is None or not values:
        return digest is None and not values
    salt, separator, rest = digest.partition("$")
    if not separator:
        return False
    whole = f"{salt}${rest.partition('$')[0]}"  # the per-value part, when there is one, adds nothing to compare
    expected = sensitive_digest(values, salt, per_value=False)
    return expected is not None and hmac.compare_digest(expected, whole)
