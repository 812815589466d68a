"""Errors a person can act on: every problem of a run at once, with file, key path, line, expected and found;
TOML syntax errors with line and column; "did you mean"; sensitive values never quoted back."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import load_config
from reconciler.config._lines import KeyLines
from reconciler.errors import ConfigError

MEETING_ID = "97440c6a-140b-40a9-9499-b23fd7a3868a"


def problems_of(tmp_path: Path, text: str, name: str = "recordings.toml") -> ConfigError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    return caught.value


def test_all_problems_of_a_file_are_reported_together_in_line_order(tmp_path: Path) -> None:
    text = f"""[defaults]
max_seconds = 10

[meetings.a]
id = "nope"

[meetings.a.recordings.main]
video_config = {{ width = 4000, codec = "H265" }}
stauts = "paused"

[meetings.b]
id = "{MEETING_ID}"
"""
    error = problems_of(tmp_path, text)

    assert [(problem.path, problem.line) for problem in error.details] == [
        ("defaults.max_seconds", 2),
        ("meetings.a.id", 5),
        ("meetings.a.recordings.main.video_config.codec", 8),
        ("meetings.a.recordings.main.video_config.width", 8),
        ("meetings.a.recordings.main.stauts", 9),
    ]
    assert str(error) == "\n".join(error.problems)
    assert error.problems == [problem.message for problem in error.details]


def test_a_problem_names_file_path_line_expected_and_found(tmp_path: Path) -> None:
    text = (
        f'[meetings.allhands]\nid = "{MEETING_ID}"\n\n'
        "[meetings.allhands.recordings.landscape]\nvideo_config.width = 2560\n"
    )

    [problem] = problems_of(tmp_path, text).details

    assert problem.to_json() == {
        "file": str(tmp_path / "recordings.toml"),
        "path": "meetings.allhands.recordings.landscape.video_config.width",
        "line": 5,
        "column": None,
        "expected": "a whole number from 1 to 1920",
        "found": "2560",
        "hint": "",
        "message": f"{tmp_path / 'recordings.toml'}:5: meetings.allhands.recordings.landscape.video_config.width: "
        "expected a whole number from 1 to 1920, found 2560",
    }


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        pytest.param("[meetings.a]\nid = \n", 2, 6, "Invalid value", id="missing-value"),
        pytest.param("a = 1\na = 2\n", 2, 6, "Cannot overwrite a value", id="duplicate-key"),
        pytest.param("[meetings\n", 1, 10, "Expected ']'", id="unclosed-header"),
    ],
)
def test_a_toml_syntax_error_shows_line_and_column(
    tmp_path: Path, text: str, line: int, column: int, words: str
) -> None:
    [problem] = problems_of(tmp_path, text).details

    assert (problem.line, problem.column) == (line, column)
    assert words in problem.message
    assert problem.message.startswith(f"{tmp_path / 'recordings.toml'}:{line}:{column}: TOML syntax error")


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "recordings.toml").write_bytes(b'[meetings.a]\nid = "\xff"\n')

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "recordings.toml", {})

    assert "not UTF-8" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "path", "hint"),
    [
        pytest.param("[defualts]\n", "defualts", "did you mean 'defaults'?", id="top-level"),
        pytest.param('[provider]\naccount = "x"\n', "provider.account", "did you mean 'account_id'?", id="provider"),
        pytest.param('[state]\npaht = "x"\n', "state.paht", "did you mean 'path'?", id="state"),
        pytest.param(
            f'[meetings.a]\nid = "{MEETING_ID}"\nrecording = {{}}\n',
            "meetings.a.recording",
            "did you mean 'recordings'?",
            id="meeting",
        ),
        pytest.param(
            f'[meetings.a]\nid = "{MEETING_ID}"\n[meetings.a.recordings.r]\nmax_second = 60\n',
            "meetings.a.recordings.r.max_second",
            "did you mean 'max_seconds'?",
            id="recording",
        ),
        pytest.param(
            "[defaults.video_config]\nwatermark = { possition = 'left top' }\n",
            "defaults.video_config.watermark.possition",
            "did you mean 'position'?",
            id="nested",
        ),
        pytest.param(
            "[defaults]\nstorage_config = { tyep = 'aws' }\n",
            "defaults.storage_config.tyep",
            "did you mean 'type'?",
            id="storage",
        ),
        pytest.param(
            f'[meetings.a]\nid = "{MEETING_ID}"\nmax_seconds = 60\n',
            "meetings.a.max_seconds",
            "recording fields go in a recording table, such as [meetings.a.recordings.default], or in [defaults]",
            id="recording-field-on-a-meeting",
        ),
        pytest.param(
            "max_seconds = 60\n",
            "max_seconds",
            "recording fields go in [defaults] or in a recording table",
            id="field-at-top",
        ),
        pytest.param("[whatever]\n", "whatever", "", id="nothing-close"),
    ],
)
def test_unknown_keys_are_errors_with_a_hint(tmp_path: Path, text: str, path: str, hint: str) -> None:
    [problem] = problems_of(tmp_path, text).details

    assert problem.path == path
    assert problem.found == f"unknown key {path.rsplit('.', 1)[-1]!r}"
    assert problem.hint == hint
    assert "expected a key of" in problem.message


@pytest.mark.parametrize(
    "storage",
    [
        pytest.param('access_key = 12345, type = "aws"', id="wrong-type"),
        pytest.param('password = "hunter2${x}", type = "gcs"', id="malformed-reference"),
    ],
)
def test_sensitive_values_are_never_quoted_back(tmp_path: Path, storage: str) -> None:
    text = f'[defaults]\nstorage_config = {{ {storage} }}\nrtmp_out_config = {{ rtmp_url = "http://host/hunter2" }}\n'

    error = problems_of(tmp_path, text)

    assert "hunter2" not in str(error)
    assert "12345" not in str(error)
    assert all("hunter2" not in problem.found for problem in error.details)


@pytest.mark.parametrize(
    ("source", "keys", "line"),
    [
        pytest.param("[a]\nb = 1\n", ("a", "b"), 2, id="key-under-header"),
        pytest.param("[a]\nb = 1\n", ("a", "zzz"), 1, id="falls-back-to-the-table"),
        pytest.param("a.b.c = 1\n", ("a", "b"), 1, id="dotted-key"),
        pytest.param('x = 1\n"a.b" = 2\n', ("a.b",), 2, id="quoted-key"),
        pytest.param("[ a . b ]\nc = 1\n", ("a", "b", "c"), 2, id="spaced-header"),
        pytest.param("a = { b = { c = 1 } }\n", ("a", "b", "c"), 1, id="inline-table"),
        pytest.param("a = {\n  b = 1,\n  c = [1, 2],\n}\n", ("a", "c"), 3, id="multi-line-inline"),
        pytest.param("a = [\n  1,\n  { b = 2 },\n]\n", ("a", 1, "b"), 3, id="array-element"),
        pytest.param("[[m]]\nx = 1\n[[m]]\nx = 2\n", ("m", 1, "x"), 4, id="array-of-tables"),
        pytest.param("[[m]]\n[m.sub]\nx = 1\n[[m]]\n[m.sub]\ny = 2\n", ("m", 1, "sub", "y"), 6, id="under-array"),
        pytest.param('a = """\n[b]\nc = 1\n"""\n[d]\ne = 1\n', ("d", "e"), 6, id="multi-line-string"),
        pytest.param("a = '''\nb = 1'''\nc = 2\n", ("b",), None, id="not-a-key-inside-a-string"),
        pytest.param('a = \'x # y\' # z\nb = "q\\"" # w\nc = 3\n', ("c",), 3, id="hashes-and-quotes"),
        pytest.param("[a.b.c]\n", ("a", "b"), 1, id="implied-by-a-header"),
        pytest.param("a = 1979-05-27 07:32:00Z\nb = 2\n", ("b",), 2, id="date-with-a-space"),
        pytest.param("a = 1\r\nb = 2\r\n", ("b",), 2, id="crlf"),
    ],
)
def test_key_lines_are_found_in_every_toml_layout(source: str, keys: tuple[str | int, ...], line: int | None) -> None:
    assert KeyLines(source).line_of(keys) == line


def test_no_repr_of_the_configuration_shows_a_secret(tmp_path: Path) -> None:
    from reconciler.config._merge import merge_sources
    from reconciler.config._read import read_source

    secret, stream_key = "aws-secret-repr-81f2", "stream-key-repr-0c9d"
    path = tmp_path / "recordings.toml"
    path.write_text(
        f'[defaults]\nrtmp_out_config = {{ rtmp_url = "rtmps://live.example.com/app/${{env:KEY}}" }}\n'
        f'[meetings.a]\nid = "{MEETING_ID}"\n[meetings.a.recordings.main]\n'
        'storage_config = { type = "aws", bucket = "b", region = "r", access_key = "AKIA", secret = "${env:SK}" }\n',
        encoding="utf-8",
    )
    env = {"SK": secret, "KEY": stream_key}
    config = load_config(path, env)
    recording = config.recordings["a.main"]
    assert recording.body["storage_config"]["secret"] == secret  # the start body does hold it
    source = read_source(path, env, [])
    assert source is not None
    merged = merge_sources([source], [])
    shown = [repr(config), str(config), repr(recording), f"{recording}", repr(source), repr(merged)]
    for text in shown:
        assert secret not in text
        assert stream_key not in text
    assert repr(recording) == (
        f"DesiredRecording(address='a.main', meeting_id='{MEETING_ID}', status='recording', fields={{'rtmp_out_config':"
        " {}, 'storage_config': {'type': 'aws', 'bucket': 'b', 'region': 'r'}}, secrets=<3 hidden>)"
    )
