"""What a configuration resolves to: `[defaults]` deep-merged under each recording, bodies carrying exactly the
declared fields, sensitive values kept out of `public_fields()`, literal-secret warnings, `[provider]` filled
from the environment, `[state] path`, and folders of files merged (duplicates name both files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.config import Config, load_config
from reconciler.config._load import config_files
from reconciler.config._state_table import read_state_table
from reconciler.errors import ConfigError

A_ID = "97440c6a-140b-40a9-9499-b23fd7a3868a"
B_ID = "5c0a4b4e-3f8e-4a55-9d4b-0c7f3b2a9e11"
ENV = {"KEY": "AKIA-key", "SECRET": "s3cr3t-value", "STREAM": "stream-key-123"}


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    path = tmp_path / "recordings.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, ENV if env is None else env)


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


DEFAULTS = """[defaults]
max_seconds = 3600
file_name_prefix = "company"
[defaults.video_config]
codec = "H264"
width = 1280
height = 720
watermark = { url = "https://e.com/l.png", size = { width = 100, height = 40 } }
"""


WATERMARK = {"url": "https://e.com/l.png", "size": {"width": 100, "height": 40}}
VIDEO = {"codec": "H264", "width": 1280, "height": 720, "watermark": WATERMARK}
BASE = {"max_seconds": 3600, "file_name_prefix": "company", "video_config": VIDEO}


@pytest.mark.parametrize(
    ("recording", "body"),
    [
        pytest.param("", BASE, id="defaults-alone"),
        pytest.param("max_seconds = 600", {**BASE, "max_seconds": 600}, id="scalar-overrides"),
        pytest.param(
            "video_config = { width = 1920, height = 1080 }",
            {**BASE, "video_config": {**VIDEO, "width": 1920, "height": 1080}},
            id="nested-tables-merge",
        ),
        pytest.param(
            "video_config.watermark.size = { height = 80 }",
            {**BASE, "video_config": {**VIDEO, "watermark": {**WATERMARK, "size": {"width": 100, "height": 80}}}},
            id="deeply-nested-tables-merge",
        ),
        pytest.param(
            'audio_config = { codec = "MP3" }', {**BASE, "audio_config": {"codec": "MP3"}}, id="new-table-added"
        ),
    ],
)
def test_defaults_deep_merge_under_a_recording(tmp_path: Path, recording: str, body: dict[str, object]) -> None:
    text = f'{DEFAULTS}[meetings.a]\nid = "{A_ID}"\n[meetings.a.recordings.r]\n{recording}\n'

    assert load(tmp_path, text).recordings["a.r"].body == body


def test_the_body_carries_exactly_the_declared_fields_in_declaration_order(tmp_path: Path) -> None:
    text = f"""[defaults]
max_seconds = 3600
status = "paused"

[meetings.a]
id = "{A_ID}"

[meetings.a.recordings.r]
video_config = {{ width = 640 }}
allow_multiple_recordings = false
max_seconds = 120
"""
    recording = load(tmp_path, text).recordings["a.r"]

    assert json.dumps(recording.body) == json.dumps(
        {"max_seconds": 120, "video_config": {"width": 640}, "allow_multiple_recordings": False}
    )
    assert recording.status == "paused"  # the tool's own field: never in the body
    assert recording.meeting_id == A_ID
    assert (recording.meeting_key, recording.recording_key, recording.address) == ("a", "r", "a.r")


def test_a_meeting_without_recordings_has_one_default_recording_made_of_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, f'[defaults]\nmax_seconds = 900\n[meetings.standup]\nid = "{A_ID.upper()}"\n')

    assert list(config.recordings) == ["standup.default"]
    recording = config.recordings["standup.default"]
    assert dict(recording.body) == {"max_seconds": 900}
    assert recording.status == "recording"
    assert recording.meeting_id == A_ID  # lower-cased
    assert config.meeting_count == 1


def test_bodies_never_share_a_table(tmp_path: Path) -> None:
    text = f'{DEFAULTS}[meetings.a]\nid = "{A_ID}"\n[meetings.b]\nid = "{B_ID}"\n'
    config = load(tmp_path, text)

    first, second = config.recordings["a.default"].body, config.recordings["b.default"].body

    assert first == second
    assert first["video_config"] is not second["video_config"]
    assert first["video_config"]["watermark"]["size"] is not second["video_config"]["watermark"]["size"]


def test_sensitive_values_are_in_the_body_but_not_in_public_fields(tmp_path: Path) -> None:
    text = f"""[meetings.a]
id = "{A_ID}"
[meetings.a.recordings.r]
storage_config = {{ type = "aws", bucket = "b", region = "r", access_key = "${{env:KEY}}", secret = "${{env:SECRET}}" }}
rtmp_out_config = {{ rtmp_url = "rtmps://live.example.com/app/${{env:STREAM}}" }}
"""
    recording = load(tmp_path, text).recordings["a.r"]

    assert recording.body["storage_config"]["secret"] == "s3cr3t-value"
    public = json.dumps(recording.public_fields())
    for secret in ENV.values():
        assert secret not in public
    assert recording.public_fields() == {
        "storage_config": {"type": "aws", "bucket": "b", "region": "r"},
        "rtmp_out_config": {},
    }
    assert recording.sensitive_values() == {
        "rtmp_out_config.rtmp_url": "rtmps://live.example.com/app/stream-key-123",
        "storage_config.access_key": "AKIA-key",
        "storage_config.secret": "s3cr3t-value",
    }


def test_a_literal_secret_is_accepted_with_a_warning_that_does_not_show_it(tmp_path: Path) -> None:
    text = f"""[defaults]
storage_config = {{ type = "sftp", host = "h", username = "u", password = "hunter2" }}
[meetings.a]
id = "{A_ID}"
[meetings.a.recordings.r]
rtmp_out_config = {{ rtmp_url = "rtmp://live.example.com/app/key-in-the-file" }}
[meetings.a.recordings.s]
status = "stopped"
storage_config = {{ password = "${{env:SECRET}}" }}
"""
    config = load(tmp_path, text)

    assert len(config.warnings) == 2
    defaults_warning, rtmp_warning = config.warnings
    assert defaults_warning.startswith(f"{tmp_path / 'recordings.toml'}:2: defaults.storage_config.password")
    assert rtmp_warning.startswith(
        f"{tmp_path / 'recordings.toml'}:6: meetings.a.recordings.r.rtmp_out_config.rtmp_url"
    )
    assert "${env:NAME}" in rtmp_warning
    assert "hunter2" not in " ".join(config.warnings)
    assert "key-in-the-file" not in " ".join(config.warnings)


@pytest.mark.parametrize(
    ("provider", "env", "account_id", "app_id"),
    [
        pytest.param("", {}, None, None, id="nowhere"),
        pytest.param("", {"CLOUDFLARE_ACCOUNT_ID": "acc", "REALTIMEKIT_APP_ID": "app"}, "acc", "app", id="from-env"),
        pytest.param(
            '[provider]\naccount_id = "file-acc"\n',
            {"CLOUDFLARE_ACCOUNT_ID": "acc", "REALTIMEKIT_APP_ID": "app"},
            "file-acc",
            "app",
            id="file-wins-env-fills",
        ),
        pytest.param('[provider]\naccount_id = "a"\napp_id = "b"\n', {}, "a", "b", id="from-file"),
    ],
)
def test_provider_is_filled_from_the_environment(
    tmp_path: Path, provider: str, env: dict[str, str], account_id: str | None, app_id: str | None
) -> None:
    config = load(tmp_path, f'{provider}[meetings.a]\nid = "{A_ID}"\n', env)

    assert (config.account_id, config.app_id) == (account_id, app_id)


def test_a_provider_value_from_the_environment_is_checked_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f'[meetings.a]\nid = "{A_ID}"\n', {"CLOUDFLARE_ACCOUNT_ID": "x" * 40})

    [problem] = caught.value.details
    assert problem.path == "provider.account_id"
    assert "CLOUDFLARE_ACCOUNT_ID" in problem.message


def test_state_path_is_relative_to_its_file(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "recordings.toml").write_text('[state]\npath = "state/prod.json"\n', encoding="utf-8")

    config = load_config(folder / "recordings.toml", {})

    assert config.state.path == folder / "state" / "prod.json"
    assert load(tmp_path, "").state.path is None


def test_the_state_table_read_alone_is_the_one_the_whole_load_reads(tmp_path: Path) -> None:
    """`state list` and friends read `[state]` without validating the rest: same path, same conflicts."""
    folder = write(
        tmp_path / "team",
        {
            "a.toml": '[state]\npath = "${env:STATE_DIR}/s.json"\n[defaults]\nmax_seconds = 1\n',  # invalid elsewhere
            "b.toml": '[state]\npath = "./states/s.json"\n',
        },
    )
    env = {"STATE_DIR": "states"}
    assert read_state_table(config_files(folder), env).path == folder / "states" / "s.json"
    with pytest.raises(ConfigError):
        load_config(folder, env)  # max_seconds = 1 is refused by the whole load only

    (folder / "b.toml").write_text('[state]\npath = "other.json"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as alone:
        read_state_table(config_files(folder), env)
    (folder / "a.toml").write_text('[state]\npath = "${env:STATE_DIR}/s.json"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as whole:
        load_config(folder, env)
    assert [p.summary for p in alone.value.details] == [p.summary for p in whole.value.details]
    assert "state.path is also set, to a different value, in" in alone.value.details[0].summary


def test_a_folder_merges_every_toml_file(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "team",
        {
            "a.toml": '[provider]\naccount_id = "acc"\n[state]\npath = "s.json"\n'
            f'[defaults]\nvideo_config = {{ codec = "H264" }}\n[meetings.a]\nid = "{A_ID}"\n',
            "b.toml": '[provider]\naccount_id = "acc"\napp_id = "app"\n[defaults]\nvideo_config = { width = 640 }\n'
            f'[meetings.b]\nid = "{B_ID}"\n[[moved]]\nfrom = "b.old"\nto = "b.default"\n',
            "notes.txt": "not TOML, not read",
        },
    )

    config = load_config(folder, {})

    assert config.files == (folder / "a.toml", folder / "b.toml")
    assert sorted(config.recordings) == ["a.default", "b.default"]
    assert config.recordings["a.default"].body == {"video_config": {"codec": "H264", "width": 640}}
    assert (config.account_id, config.app_id, config.state.path) == ("acc", "app", folder / "s.json")
    assert [moved.to_address for moved in config.moved] == ["b.default"]
    assert config.recordings["b.default"].location.file == folder / "b.toml"


@pytest.mark.parametrize(
    ("a", "b", "path", "line"),
    [
        pytest.param(
            f'[meetings.x]\nid = "{A_ID}"\n', f'\n[meetings.x]\nid = "{B_ID}"\n', "meetings.x", 2, id="meeting"
        ),
        pytest.param(
            '[provider]\napp_id = "one"\n', '[provider]\napp_id = "two"\n', "provider.app_id", 2, id="provider"
        ),
        pytest.param('[state]\npath = "s.json"\n', '[state]\npath = "t.json"\n', "state.path", 2, id="state"),
        pytest.param(
            "[defaults]\nvideo_config = { width = 1 }\n",
            "[defaults]\nvideo_config = { width = 2 }\n",
            "defaults.video_config.width",
            2,
            id="defaults",
        ),
        pytest.param(
            f'[meetings.x]\nid = "{A_ID}"\n', f'[meetings.y]\nid = "{A_ID}"\n', "meetings.y.id", 2, id="meeting-id"
        ),
        pytest.param(
            f'[meetings.x]\nid = "{A_ID}"\n[[moved]]\nfrom = "x.old"\nto = "x.default"\n',
            '[[moved]]\nfrom = "x.old"\nto = "x.default"\n',
            "moved[0].from",
            None,
            id="moved",
        ),
    ],
)
def test_a_key_defined_in_two_files_is_an_error_naming_both(
    tmp_path: Path, a: str, b: str, path: str, line: int | None
) -> None:
    folder = write(tmp_path / "conf", {"a.toml": a, "b.toml": b})

    with pytest.raises(ConfigError) as caught:
        load_config(folder, {})

    problems = [problem for problem in caught.value.details if problem.path == path]
    assert problems, caught.value.problems
    assert problems[0].file == folder / "b.toml"
    assert str(folder / "a.toml") in problems[0].message
    if line is not None:
        assert problems[0].line == line


def test_the_same_value_in_two_files_is_fine(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "conf",
        {
            "a.toml": '[provider]\napp_id = "app"\n[state]\npath = "s.json"\n[defaults]\nmax_seconds = 60\n',
            "b.toml": '[provider]\napp_id = "app"\n[state]\npath = "./s.json"\n[defaults]\nmax_seconds = 60\n',
        },
    )

    assert load_config(folder, {}).app_id == "app"


def test_every_file_of_a_folder_is_checked_before_reporting(tmp_path: Path) -> None:
    folder = write(tmp_path / "conf", {"a.toml": "[meetings\n", "b.toml": "[defaults]\nmax_seconds = 1\n"})

    with pytest.raises(ConfigError) as caught:
        load_config(folder, {})

    assert [problem.file.name for problem in caught.value.details] == ["a.toml", "b.toml"]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        pytest.param(lambda tmp: tmp / "missing.toml", "missing.toml not found; pass -c PATH", id="missing"),
        pytest.param(lambda tmp: write(tmp / "empty", {}), "holds no *.toml file", id="empty-folder"),
    ],
)
def test_a_configuration_that_is_not_there_is_a_clear_error(tmp_path: Path, make: object, words: str) -> None:
    assert callable(make)
    with pytest.raises(ConfigError) as caught:
        load_config(make(tmp_path), {})

    assert words in str(caught.value)
