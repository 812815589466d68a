"""`config_json_schema()`: a valid JSON Schema (draft 2020-12), generated from the models, that accepts every
example and refuses what the models refuse field by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomli
from jsonschema import Draft202012Validator

from reconciler.config import config_json_schema

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.toml"))
MEETING_ID = "97440c6a-140b-40a9-9499-b23fd7a3868a"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = config_json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_schema_is_a_draft_2020_12_schema_of_the_file() -> None:
    schema = config_json_schema()

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == {"provider", "state", "defaults", "meetings", "moved"}
    assert schema["additionalProperties"] is False


def test_there_are_examples() -> None:
    assert len(EXAMPLE_FILES) >= 10


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda path: str(path.relative_to(EXAMPLES)))
def test_the_schema_accepts_every_example(validator: Draft202012Validator, example: Path) -> None:
    document = tomli.loads(example.read_text(encoding="utf-8"))

    assert list(validator.iter_errors(document)) == []


REFUSED: list[Any] = [
    pytest.param({"defualts": {}}, id="unknown-top-level-key"),
    pytest.param({"defaults": {"max_seconds": 10}}, id="max_seconds-range"),
    pytest.param({"defaults": {"max_seconds": "3600"}}, id="max_seconds-type"),
    pytest.param({"defaults": {"video_config": {"codec": "AV1"}}}, id="codec-enum"),
    pytest.param({"defaults": {"video_config": {"widht": 1}}}, id="unknown-nested-key"),
    pytest.param({"defaults": {"rtmp_out_config": {"rtmp_url": "https://x"}}}, id="rtmp-url"),
    pytest.param({"meetings": {"a": {}}}, id="meeting-id-required"),
    pytest.param({"meetings": {"a": {"id": "nope"}}}, id="meeting-id-uuid"),
    pytest.param({"meetings": {"a b": {"id": MEETING_ID}}}, id="meeting-key"),
    pytest.param({"meetings": {"a": {"id": MEETING_ID, "recordings": {}}}}, id="empty-recordings"),
    pytest.param({"moved": [{"from": "a.b"}]}, id="moved-to-required"),
]


@pytest.mark.parametrize("document", REFUSED)
def test_the_schema_refuses_what_the_models_refuse(validator: Draft202012Validator, document: Any) -> None:
    assert list(validator.iter_errors(document)) != []


def test_the_schema_accepts_env_references_where_a_pattern_applies(validator: Draft202012Validator) -> None:
    document = {
        "provider": {"account_id": "${env:ACCOUNT}"},
        "meetings": {"a": {"id": "${env:MEETING_ID}", "recordings": {"r": {"status": "paused"}}}},
        "defaults": {"rtmp_out_config": {"rtmp_url": "${env:RTMP_URL}"}},
    }

    assert list(validator.iter_errors(document)) == []
