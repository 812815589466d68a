"""Salted digests: how a change of a secret is detected without the secret being stored.

`sensitive_digest` is what the state and a saved plan keep in place of sensitive values: `"<salt>$<hmac>"`, an
HMAC-SHA256 keyed by a random salt over the canonical JSON of the values. The same values give a different digest
under a different salt, so a digest cannot be looked up in a table of common secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical_json", "digest_matches", "sensitive_digest"]


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sensitive_digest(values: Mapping[str, str], salt: str | None = None) -> str | None:
    """The salted digest of `values` (None when there are none). A fresh salt is drawn unless one is given."""
    if not values:
        return None
    salt = salt if salt is not None else secrets.token_hex(8)
    mac = hmac.new(salt.encode(), canonical_json(dict(values)), hashlib.sha256).hexdigest()
    return f"{salt}${mac}"


def digest_matches(digest: str | None, values: Mapping[str, str]) -> bool:
    """True when `values` are the ones `digest` was made from (both empty counts as a match)."""
    if digest is None or not values:
        return digest is None and not values
    salt, separator, _ = digest.partition("$")
    if not separator:
        return False
    expected = sensitive_digest(values, salt)
    return expected is not None and hmac.compare_digest(expected, digest)
