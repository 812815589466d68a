"""The string patterns of the configuration (keys, addresses, ids, URLs), and what each means in a message.

Kept apart from the models so that the fast path of `load_config` uses them without importing pydantic.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ADDRESS_PATTERN",
    "KEY_PATTERN",
    "PATH_SEGMENT_PATTERN",
    "PATTERN_DESCRIPTIONS",
    "RTMP_PATTERN",
    "SQL_NAME_PATTERN",
    "STATE_URL_PATTERN",
    "URI_PATTERN",
    "UUID_PATTERN",
]

KEY_PATTERN: Final = r"^[A-Za-z0-9_-]+$"
ADDRESS_PATTERN: Final = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
UUID_PATTERN: Final = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
# An absolute URI (RFC 3986: a scheme, then something): what the API's `format: uri` asks for.
URI_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"
RTMP_PATTERN: Final = r"^rtmps?://[^\s/?#]+[^\s]*$"
# Both ids end up in the API's URL path as one segment: letters, digits, `-` and `_`, so never `.`, `..` or a `/`.
PATH_SEGMENT_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
# A PostgreSQL state: its URL, and the schema that holds its tables (a plain SQL name, so nothing needs quoting).
STATE_URL_PATTERN: Final = r"^postgres(ql)?://"
SQL_NAME_PATTERN: Final = r"^[a-z_][a-z0-9_]{0,62}$"

# What each pattern means, in the words an error message uses.
PATTERN_DESCRIPTIONS: Final[dict[str, str]] = {
    KEY_PATTERN: "a name of letters, digits, '_' or '-'",
    ADDRESS_PATTERN: "an address <meeting>.<recording>, such as allhands.landscape",
    UUID_PATTERN: "a UUID such as 97440c6a-140b-40a9-9499-b23fd7a3868a",
    URI_PATTERN: "an absolute URI such as https://example.com/logo.png",
    RTMP_PATTERN: "an rtmp:// or rtmps:// URL",
    PATH_SEGMENT_PATTERN: "an id of letters, digits, '-' and '_'",
    STATE_URL_PATTERN: "a postgresql:// URL",
    SQL_NAME_PATTERN: "a name of lowercase letters, digits and '_', not starting with a digit",
}
