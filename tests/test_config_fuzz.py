"""Bad input of any shape ends as a `ConfigError` (or a valid `Config`), never as another exception: random
documents built from the configuration's own vocabulary, written as TOML and loaded."""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import load_config
from reconciler.config._models import RECORDING_FIELDS
from reconciler.errors import ConfigError

WORDS = [
    *RECORDING_FIELDS,
    "provider",
    "state",
    "defaults",
    "meetings",
    "moved",
    "recordings",
    "id",
    "from",
    "to",
    "path",
    "account_id",
    "app_id",
    "type",
    "codec",
    "width",
    "height",
    "watermark",
    "size",
    "position",
    "enabled",
    "rtmp_url",
    "secret",
    "password",
    "private_key",
    "auth_method",
    "host",
    "username",
    "region",
    "access_key",
    "m",
    "r",
    "a b",
]
VALUES = [
    "97440c6a-140b-40a9-9499-b23fd7a3868a",
    "m.r",
    "aws",
    "sftp",
    "VP8",
    "H264",
    "KEY",
    "PASSWORD",
    "recording",
    "paused",
    "rtmp://h/k",
    "${env:X}",
    "${env:}",
    "$${",
    "",
]

keys = st.sampled_from(WORDS)
scalars = st.one_of(
    st.sampled_from(VALUES),
    st.text(string.printable, max_size=8),
    st.integers(-5, 100_000),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
documents = st.dictionaries(keys, st.dictionaries(keys, values, max_size=4), max_size=5)


def to_toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(key)} = {to_toml(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(to_toml(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings, ints and finite floats are valid TOML as JSON writes them


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_loads_or_fails_with_a_config_error(document: dict[str, Any]) -> None:
    text = "\n".join(
        f"[{json.dumps(table)}]\n" + "\n".join(f"{json.dumps(key)} = {to_toml(value)}" for key, value in items.items())
        for table, items in document.items()
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recordings.toml"
        path.write_text(text, encoding="utf-8")
        failure: ConfigError | None = None
        try:
            config = load_config(path, {"X": "x"})
        except ConfigError as error:  # the one exception bad input may raise
            failure = error
        else:
            assert config.files == (path,)
        if failure is not None:
            assert failure.problems
            assert [problem.file for problem in failure.details] == [path] * len(failure.problems)
