"""The kept core schema (`_file_schema.py`): fresh for the models, equivalent to them, replaced by the models
when stale, and what keeps pydantic out of a valid run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic_core
import pytest

from reconciler.config import _validator
from reconciler.config._models import FILE_ADAPTER

KEPT = Path(_validator.__file__).with_name("_file_schema.py")
MEETING_ID = "97440c6a-140b-40a9-9499-b23fd7a3868a"


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    _validator.file_validator.cache_clear()
    try:
        yield
    finally:
        _validator.file_validator.cache_clear()


def test_the_kept_schema_was_made_from_these_models() -> None:
    from reconciler.config import _file_schema as kept

    assert _validator._models_digest() == kept.MODELS_SHA256, (
        "reconciler/config/_file_schema.py is stale: run `python -m reconciler.config._validator`"
    )
    # With another pydantic-core (a fresh install may bring a newer one) the models are used instead: correct,
    # only slower. With the same one, the kept schema must be exactly what the models compile to.
    if pydantic_core.__version__ == kept.PYDANTIC_CORE_VERSION:
        assert KEPT.read_text(encoding="utf-8") == _validator.generated_module()
        assert _validator.kept_schema_is_fresh()


DOCUMENTS: list[Any] = [
    pytest.param({"meetings": {"a": {"id": MEETING_ID, "recordings": {"r": {"max_seconds": 60}}}}}, id="valid"),
    pytest.param(
        {
            "defualts": {},
            "provider": {"account_id": "x" * 40},
            "meetings": {
                "a b": {"id": "nope", "recordings": {"r": {"video_config": {"width": True, "codec": "AV1"}}}},
                "c": {"recordings": {}},
            },
            "moved": [{"from": "a", "too": "b"}],
        },
        id="many-problems",
    ),
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_kept_schema_validates_exactly_like_the_models(fresh_cache: None, document: Any) -> None:
    def errors(validator: Any) -> list[Any]:
        try:
            validator.validate_python(document)
        except pydantic_core.ValidationError as error:
            return error.errors(include_url=False)
        return []

    validator = _validator.file_validator()

    assert (validator is not FILE_ADAPTER.validator) == _validator.kept_schema_is_fresh()
    assert errors(validator) == errors(FILE_ADAPTER.validator)


def test_a_stale_kept_schema_gives_way_to_the_models(fresh_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_validator, "_models_digest", lambda: "edited since")

    assert not _validator.kept_schema_is_fresh()
    assert _validator.file_validator() is FILE_ADAPTER.validator


@pytest.mark.e2e
def test_a_valid_run_does_not_import_pydantic(tmp_path: Path) -> None:
    (tmp_path / "recordings.toml").write_text(f'[meetings.a]\nid = "{MEETING_ID}"\n', encoding="utf-8")
    script = (
        "import sys; from pathlib import Path; from reconciler.config import load_config; "
        "load_config(Path('recordings.toml'), {}); print('pydantic' in sys.modules)"
    )

    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"
