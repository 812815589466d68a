"""`${env:NAME}` in string values (design §3.2): resolution, the `$${` escape, every missing variable listed at
once, malformed references refused, and secrets never echoed back."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import Config, load_config
from reconciler.config._env import substitute_env
from reconciler.errors import ConfigError

MEETING = '[meetings.m]\nid = "97440c6a-140b-40a9-9499-b23fd7a3868a"\n[meetings.m.recordings.r]\n'


def load(tmp_path: Path, text: str, env: dict[str, str]) -> Config:
    path = tmp_path / "recordings.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env)


# (string as written, environment, value sent)
RESOLVED = [
    pytest.param("${env:PREFIX}", {"PREFIX": "weekly"}, "weekly", id="whole-string"),
    pytest.param("team-${env:TEAM}-${env:KIND}", {"TEAM": "a", "KIND": "b"}, "team-a-b", id="inside-a-string"),
    pytest.param("$${env:PREFIX}", {}, "${env:PREFIX}", id="escaped"),
    pytest.param("cost: $5 and $$ and $", {}, "cost: $5 and $$ and $", id="lone-dollars"),
    pytest.param("$${not a reference}", {}, "${not a reference}", id="escaped-anything"),
    pytest.param("${env:_X1}", {"_X1": "ok"}, "ok", id="underscore-and-digit"),
]


@pytest.mark.parametrize(("written", "env", "sent"), RESOLVED)
def test_references_resolve(tmp_path: Path, written: str, env: dict[str, str], sent: str) -> None:
    config = load(tmp_path, f'{MEETING}file_name_prefix = "{written}"\n', env)

    assert config.recordings["m.r"].body["file_name_prefix"] == sent


# (string as written, environment, words of the one problem)
REFUSED = [
    pytest.param("${env:MISSING}", {}, "environment variable MISSING is not set", id="missing"),
    pytest.param("${env:EMPTY}", {"EMPTY": ""}, "environment variable EMPTY is not set (or is empty)", id="empty"),
    pytest.param("${env:}", {}, 'found "${env:}"', id="no-name"),
    pytest.param("${foo}", {}, 'found "${foo}"', id="not-env"),
    pytest.param("${env:A-B}", {"A-B": "x"}, 'found "${env:A-B}"', id="bad-name"),
    pytest.param("${env:1A}", {"1A": "x"}, 'found "${env:1A}"', id="leading-digit"),
    pytest.param("${ env:A }", {"A": "x"}, "found", id="blanks"),
    pytest.param("x${env:A", {"A": "x"}, 'found "${env:A"', id="unclosed"),
]


@pytest.mark.parametrize(("written", "env", "words"), REFUSED)
def test_bad_references_are_refused(tmp_path: Path, written: str, env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f'{MEETING}file_name_prefix = "{written}"\n', env)

    [problem] = caught.value.details
    assert problem.path == "meetings.m.recordings.r.file_name_prefix"
    assert words in problem.message
    assert problem.line == 4


def test_every_missing_variable_is_listed_at_once(tmp_path: Path) -> None:
    text = (
        '[provider]\naccount_id = "${env:ACCOUNT}"\n'
        f'{MEETING}file_name_prefix = "${{env:PREFIX}}"\n'
        'url = "https://${env:HOST}/${env:PREFIX}"\n'
        '[meetings.m.recordings.s]\nfile_name_prefix = "${env:PREFIX}"\nstatus = "stopped"\n'
    )

    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, {})

    messages = caught.value.problems
    assert len(messages) == 3  # one per variable, at its first use
    assert all("is not set" in message for message in messages)
    assert {problem.path for problem in caught.value.details} == {
        "provider.account_id",
        "meetings.m.recordings.r.file_name_prefix",
        "meetings.m.recordings.r.url",
    }
    [prefix] = [problem for problem in caught.value.details if "PREFIX" in problem.message]
    assert "used in 2 more places" in prefix.message


def test_values_from_the_environment_are_validated(tmp_path: Path) -> None:
    text = f'[meetings.m]\nid = "${{env:MEETING_ID}}"\n{MEETING.split(chr(10), 2)[2]}'

    assert load(tmp_path, text, {"MEETING_ID": "5c0a4b4e-3f8e-4a55-9d4b-0c7f3b2a9e11"}).recordings["m.r"].meeting_id
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, {"MEETING_ID": "nope"})
    assert 'found "nope"' in caught.value.problems[0]


def test_a_malformed_reference_in_a_secret_is_not_quoted(tmp_path: Path) -> None:
    text = f'{MEETING}storage_config = {{ type = "gcs", secret = "hunter2${{oops}}" }}\n'

    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, {})

    assert "hunter2" not in str(caught.value)
    assert "malformed" in str(caught.value)


def test_substitution_records_which_strings_used_the_environment() -> None:
    document = {"a": "${env:X}", "b": ["plain", {"c": "$${env:X}"}], "d": 1}

    result = substitute_env(document, {"X": "value"})

    assert document == {"a": "value", "b": ["plain", {"c": "${env:X}"}], "d": 1}
    assert result.from_env == {("a",)}
    assert result.problems == []
