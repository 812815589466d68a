"""Every validation rule of design §3.3 (and the tables around the recordings), each with a valid and an
invalid case: the invalid one must fail with exactly one problem, at the right key path, saying what was
expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import Config, load_config
from reconciler.errors import ConfigError

MEETING_ID = "97440c6a-140b-40a9-9499-b23fd7a3868a"
OTHER_ID = "5c0a4b4e-3f8e-4a55-9d4b-0c7f3b2a9e11"
MEETING = f'[meetings.m]\nid = "{MEETING_ID}"\n'
REC = "meetings.m.recordings.r"
ENV = {"SECRET": "s3cr3t", "KEY_ID": "AKIA123"}


def recording(fields: str) -> str:
    return f"{MEETING}[meetings.m.recordings.r]\n{fields}\n"


def load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "recordings.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, ENV)


AWS = 'type = "aws", bucket = "b", region = "us-east-1", access_key = "${env:KEY_ID}", secret = "${env:SECRET}"'

# (TOML of a recording's fields) — each one valid.
VALID_FIELDS = [
    pytest.param("allow_multiple_recordings = true", id="allow_multiple_recordings"),
    pytest.param('audio_config = { channel = "mono", codec = "MP3", export_file = false }', id="audio_config"),
    pytest.param('file_name_prefix = "weekly"', id="file_name_prefix"),
    pytest.param('interactive_config = { type = "ID3" }', id="interactive_config"),
    pytest.param("max_seconds = 60", id="max_seconds-minimum"),
    pytest.param("max_seconds = 86400", id="max_seconds-maximum"),
    pytest.param("realtimekit_bucket_config = { enabled = false }", id="realtimekit_bucket_config"),
    pytest.param('rtmp_out_config = { rtmp_url = "rtmp://live.example.com/app/${env:SECRET}" }', id="rtmp"),
    pytest.param('rtmp_out_config = { rtmp_url = "rtmps://live.example.com:443/app/k" }', id="rtmps"),
    pytest.param(f"storage_config = {{ {AWS} }}", id="storage-aws"),
    pytest.param(
        'storage_config = { type = "azure", region = "westeurope", access_key = "a", secret = "b" }',
        id="storage-azure",
    ),
    pytest.param(
        'storage_config = { type = "digitalocean", region = "nyc3", access_key = "a", bucket = "b" }',
        id="storage-digitalocean-without-secret",
    ),
    pytest.param('storage_config = { type = "gcs", bucket = "b" }', id="storage-gcs"),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", username = "u", auth_method = "KEY", private_key = "k" }',
        id="storage-sftp-key",
    ),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", username = "u", auth_method = "KEY", private_key = "k", '
        'password = "passphrase" }',
        id="storage-sftp-key-with-passphrase",
    ),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", username = "u", auth_method = "PASSWORD", password = "p" }',
        id="storage-sftp-password",
    ),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", username = "u", password = "p", port = 2222 }',
        id="storage-sftp-password-without-auth_method",
    ),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", username = "u", private_key = "k" }',
        id="storage-sftp-key-without-auth_method",
    ),
    pytest.param('url = "https://example.com/stage"', id="url"),
    pytest.param('video_config = { codec = "VP9" }', id="video-codec-vp9"),
    pytest.param('video_config = { codec = "VP8", width = 1, height = 1920 }', id="video-size-limits"),
    pytest.param('video_config = { codec = "H264" }\naudio_config = { codec = "AAC" }', id="audio-with-h264"),
    pytest.param(
        'video_config.watermark = { position = "left bottom", size = { width = 1, height = 1 }, '
        'url = "https://example.com/logo.png" }',
        id="watermark",
    ),
    pytest.param('status = "paused"', id="status-paused"),
    pytest.param('status = "stopped"', id="status-stopped"),
]

# (TOML of a recording's fields, key path under the recording, words the message must hold).
INVALID_FIELDS = [
    pytest.param('allow_multiple_recordings = "yes"', "allow_multiple_recordings", "true or false", id="bool-str"),
    pytest.param("allow_multiple_recordings = 1", "allow_multiple_recordings", "true or false", id="bool-int"),
    pytest.param('audio_config = { channel = "quad" }', "audio_config.channel", '"mono", "stereo"', id="channel"),
    pytest.param('audio_config = { codec = "OGG" }', "audio_config.codec", '"MP3", "AAC"', id="audio-codec"),
    pytest.param('audio_config = { export_file = "no" }', "audio_config.export_file", "true or false", id="export"),
    pytest.param("file_name_prefix = 5", "file_name_prefix", "a string", id="file_name_prefix"),
    pytest.param('interactive_config = { type = "ID4" }', "interactive_config.type", '"ID3"', id="interactive"),
    pytest.param("max_seconds = 59", "max_seconds", "from 60 to 86400", id="max_seconds-below"),
    pytest.param("max_seconds = 86401", "max_seconds", "from 60 to 86400", id="max_seconds-above"),
    pytest.param('max_seconds = "3600"', "max_seconds", 'found "3600"', id="max_seconds-string"),
    pytest.param("max_seconds = 3600.0", "max_seconds", "found 3600.0", id="max_seconds-float"),
    pytest.param("max_seconds = true", "max_seconds", "found true", id="max_seconds-bool"),
    pytest.param("realtimekit_bucket_config = {}", "realtimekit_bucket_config.enabled", "enabled", id="bucket"),
    pytest.param(
        'realtimekit_bucket_config = { enabled = "no" }', "realtimekit_bucket_config.enabled", "true", id="bucket-str"
    ),
    pytest.param(
        'rtmp_out_config = { rtmp_url = "https://example.com/k" }', "rtmp_out_config.rtmp_url", "rtmp://", id="rtmp"
    ),
    pytest.param('rtmp_out_config = { rtmp_url = "rtmp://" }', "rtmp_out_config.rtmp_url", "rtmps://", id="rtmp-host"),
    pytest.param('storage_config = { bucket = "b" }', "storage_config.type", "aws, azure", id="storage-no-type"),
    pytest.param('storage_config = { type = "s3" }', "storage_config.type", '"gcs"', id="storage-type"),
    pytest.param(
        'storage_config = { type = "aws", region = "r" , secret = "s" }',
        "storage_config.access_key",
        "aws storage needs it",
        id="aws-access_key",
    ),
    pytest.param(
        'storage_config = { type = "azure", access_key = "a" }', "storage_config.region", "azure", id="azure-region"
    ),
    pytest.param(
        'storage_config = { type = "digitalocean", access_key = "a" }',
        "storage_config.region",
        "digitalocean",
        id="digitalocean-region",
    ),
    pytest.param(
        'storage_config = { type = "sftp", username = "u", password = "p" }', "storage_config.host", "sftp", id="host"
    ),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", password = "p" }', "storage_config.username", "sftp", id="user"
    ),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", username = "u", auth_method = "KEY", password = "p" }',
        "storage_config.private_key",
        "auth_method KEY",
        id="sftp-key-without-private_key",
    ),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", username = "u", auth_method = "PASSWORD", private_key = "k" }',
        "storage_config.password",
        "auth_method PASSWORD",
        id="sftp-password-without-password",
    ),
    pytest.param(
        'storage_config = { type = "sftp", host = "h", username = "u" }',
        "storage_config.password",
        "a password or a private_key",
        id="sftp-without-credentials",
    ),
    pytest.param(
        'storage_config = { type = "gcs", auth_method = "TOKEN" }', "storage_config.auth_method", '"KEY"', id="auth"
    ),
    pytest.param('storage_config = { type = "gcs", port = 0 }', "storage_config.port", "1 to 65535", id="port-0"),
    pytest.param('storage_config = { type = "gcs", port = "22" }', "storage_config.port", "whole number", id="port"),
    pytest.param("url = 1", "url", "a string", id="url"),
    pytest.param('video_config = { codec = "AV1" }', "video_config.codec", '"VP9"', id="video-codec"),
    pytest.param("video_config = { width = 0 }", "video_config.width", "from 1 to 1920", id="width-0"),
    pytest.param("video_config = { width = 1921 }", "video_config.width", "from 1 to 1920", id="width-1921"),
    pytest.param("video_config = { height = 0 }", "video_config.height", "from 1 to 1920", id="height-0"),
    pytest.param("video_config = { height = 2160 }", "video_config.height", "found 2160", id="height-2160"),
    pytest.param('video_config = { export_file = "yes" }', "video_config.export_file", "true", id="video-export"),
    pytest.param(
        'video_config.watermark = { position = "center" }', "video_config.watermark.position", "left top", id="wm-pos"
    ),
    pytest.param(
        "video_config.watermark = { size = { width = 0 } }",
        "video_config.watermark.size.width",
        "at least 1",
        id="wm-size",
    ),
    pytest.param(
        'video_config.watermark = { url = "logo.png" }', "video_config.watermark.url", "absolute URI", id="wm-url"
    ),
    pytest.param(
        'video_config = { codec = "VP8" }\naudio_config = { codec = "AAC" }', "audio_config", "VP8", id="audio-vp8"
    ),
    pytest.param('video_config = { codec = "VP9" }\naudio_config = {}', "audio_config", "VP9", id="audio-vp9"),
    pytest.param('status = "running"', "status", '"recording", "paused", "stopped"', id="status"),
    pytest.param("file_name_prefix = 2024-01-01", "file_name_prefix", "a date/time", id="date-for-string"),
]


@pytest.mark.parametrize("fields", VALID_FIELDS)
def test_a_valid_field_is_accepted_and_sent_as_declared(tmp_path: Path, fields: str) -> None:
    config = load(tmp_path, recording(fields))

    body = config.recordings["m.r"].body
    assert "status" not in body
    assert set(body) == {line.split("=")[0].split(".")[0].strip() for line in fields.splitlines()} - {"status"}


@pytest.mark.parametrize(("fields", "path", "words"), INVALID_FIELDS)
def test_an_invalid_field_is_one_problem_at_its_path(tmp_path: Path, fields: str, path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, recording(fields))

    [problem] = caught.value.details
    assert problem.path == f"{REC}.{path}"
    assert words in problem.message
    assert problem.file == tmp_path / "recordings.toml"
    assert problem.line is not None


# Whole documents: (TOML, key path of the one problem or None when valid, words of the message).
DOCUMENTS = [
    pytest.param(MEETING, None, "", id="meeting-without-recordings"),
    pytest.param('[meetings.m]\nid = "97440C6A-140B-40A9-9499-B23FD7A3868A"\n', None, "", id="uppercase-uuid"),
    pytest.param('[meetings.m]\nid = "97440c6a"\n', "meetings.m.id", "a UUID", id="id-not-uuid"),
    pytest.param("[meetings.m]\nid = 7\n", "meetings.m.id", "found 7", id="id-not-string"),
    pytest.param("[meetings.m.recordings.r]\n", "meetings.m.id", "found nothing", id="id-missing"),
    pytest.param(f'[meetings.all-hands_2]\nid = "{MEETING_ID}"\n', None, "", id="meeting-key-valid"),
    pytest.param(f'[meetings."all hands"]\nid = "{MEETING_ID}"\n', 'meetings."all hands"', "letters", id="key-space"),
    pytest.param(f'[meetings."a.b"]\nid = "{MEETING_ID}"\n', 'meetings."a.b"', "letters, digits", id="key-dot"),
    pytest.param(f'{MEETING}[meetings.m.recordings."x y"]\n', 'meetings.m.recordings."x y"', "letters", id="rec-key"),
    pytest.param(f"{MEETING}recordings = {{}}\n", "meetings.m.recordings", "at least one", id="no-recordings"),
    pytest.param(f"{MEETING}recordings = 3\n", "meetings.m.recordings", "recording table", id="recordings-not-table"),
    pytest.param("meetings = 3\n", "meetings", "a table", id="meetings-not-table"),
    pytest.param(f'[provider]\naccount_id = "{"a" * 32}"\napp_id = "my-app"\n{MEETING}', None, "", id="provider"),
    pytest.param(f'[provider]\naccount_id = "{"a" * 33}"\n', "provider.account_id", "at most 32", id="account-long"),
    pytest.param('[provider]\naccount_id = ""\n', "provider.account_id", 'found ""', id="account-empty"),
    pytest.param('[provider]\napp_id = "a/b"\n', "provider.app_id", "an id of letters, digits", id="app-slash"),
    pytest.param('[provider]\napp_id = ".."\n', "provider.app_id", "an id of letters, digits", id="app-dot-dot"),
    pytest.param('[provider]\naccount_id = "."\n', "provider.account_id", "an id of letters", id="account-dot"),
    pytest.param('[state]\npath = "s.json"\n', None, "", id="state"),
    pytest.param('[state]\npath = ""\n', "state.path", "non-empty", id="state-empty"),
    pytest.param("[state]\npath = 5\n", "state.path", "string, found 5", id="state-number"),
    pytest.param("[defaults]\nmax_seconds = 10\n", "defaults.max_seconds", "from 60", id="defaults-checked"),
    pytest.param(f'{MEETING}[[moved]]\nfrom = "m.old"\nto = "m.default"\n', None, "", id="moved"),
    pytest.param(f'{MEETING}[[moved]]\nfrom = "m.old"\nto = "m.nope"\n', "moved[0].to", "not declared", id="mv-to"),
    pytest.param(
        f'{MEETING}[[moved]]\nfrom = "m.default"\nto = "m.default"\n', "moved[0].to", "same as from", id="mv-same"
    ),
    pytest.param(f'{MEETING}[[moved]]\nfrom = "old"\nto = "m.default"\n', "moved[0].from", "<meeting>.", id="mv-addr"),
    pytest.param(f'{MEETING}[[moved]]\nto = "m.default"\n', "moved[0].from", "found nothing", id="mv-from-missing"),
    pytest.param(
        f'{MEETING}[[moved]]\nfrom = "m.a"\nto = "m.default"\nwhy = "x"\n', "moved[0].why", "from, to", id="mv-key"
    ),
    pytest.param(
        f'{MEETING}[meetings.m.recordings.b]\n[meetings.m.recordings.c]\nstatus = "stopped"\n'
        '[[moved]]\nfrom = "m.c"\nto = "m.b"\n',
        "moved[0].from",
        "still declared",
        id="mv-from-declared",
    ),
]


@pytest.mark.parametrize(("text", "path", "words"), DOCUMENTS)
def test_tables_around_the_recordings(tmp_path: Path, text: str, path: str | None, words: str) -> None:
    if path is None:
        assert load(tmp_path, text).files == (tmp_path / "recordings.toml",)
        return
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)

    [problem] = caught.value.details
    assert problem.path == path
    assert words in problem.message


# Several recordings of one meeting: (recordings' TOML, names the problem must list, or () when valid).
ACTIVE_AT_ONCE = [
    pytest.param("[meetings.m.recordings.a]\n", (), id="one"),
    pytest.param(
        "[meetings.m.recordings.a]\nallow_multiple_recordings = true\n"
        "[meetings.m.recordings.b]\nallow_multiple_recordings = true\n",
        (),
        id="both-allow",
    ),
    pytest.param(
        "[defaults]\nallow_multiple_recordings = true\n[meetings.m.recordings.a]\n[meetings.m.recordings.b]\n",
        (),
        id="both-allow-from-defaults",
    ),
    pytest.param('[meetings.m.recordings.a]\n[meetings.m.recordings.b]\nstatus = "stopped"\n', (), id="one-stopped"),
    pytest.param("[meetings.m.recordings.a]\n[meetings.m.recordings.b]\n", ("a", "b"), id="neither-allows"),
    pytest.param(
        '[meetings.m.recordings.a]\n[meetings.m.recordings.b]\nstatus = "paused"\n', ("a", "b"), id="paused-counts"
    ),
    pytest.param(
        "[meetings.m.recordings.a]\nallow_multiple_recordings = true\n"
        "[meetings.m.recordings.b]\nallow_multiple_recordings = false\n",
        ("b",),
        id="one-allows",
    ),
]


@pytest.mark.parametrize(("recordings", "lacking"), ACTIVE_AT_ONCE)
def test_recordings_active_at_once_must_each_allow_multiple(
    tmp_path: Path, recordings: str, lacking: tuple[str, ...]
) -> None:
    text = f"{MEETING}{recordings}" if recordings.startswith("[meetings") else f"{recordings}{MEETING}"
    if not lacking:
        load(tmp_path, text)
        return
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)

    [problem] = caught.value.details
    assert problem.path == "meetings.m.recordings"
    assert "allow_multiple_recordings = true on each of a, b" in problem.message
    assert f"not set to true on {', '.join(lacking)}" in problem.message


def test_two_meeting_keys_with_one_id_are_refused(tmp_path: Path) -> None:
    text = f'{MEETING}[meetings.again]\nid = "{MEETING_ID.upper()}"\n'

    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)

    [problem] = caught.value.details
    assert problem.path == "meetings.again.id"
    assert "also the id of meetings.m" in problem.message
    assert ":2)" in problem.message  # where the first one is


@pytest.mark.parametrize(
    ("moved", "path", "words"),
    [
        pytest.param(
            '[[moved]]\nfrom = "m.a"\nto = "m.b"\n[[moved]]\nfrom = "m.x"\nto = "m.a"\n',
            "moved[0].from",
            "the to of moved[1]",
            id="chain",
        ),
        pytest.param(
            '[[moved]]\nfrom = "m.a"\nto = "m.b"\n[[moved]]\nfrom = "m.a"\nto = "m.c"\n',
            "moved[1].from",
            "also in moved[0]",
            id="duplicate-from",
        ),
        pytest.param(
            '[[moved]]\nfrom = "m.a"\nto = "m.b"\n[[moved]]\nfrom = "m.x"\nto = "m.b"\n',
            "moved[1].to",
            "also in moved[0]",
            id="duplicate-to",
        ),
    ],
)
def test_moves_do_not_chain_or_repeat(tmp_path: Path, moved: str, path: str, words: str) -> None:
    text = f"{MEETING}[meetings.m.recordings.b]\n[meetings.m.recordings.c]\n{moved}"
    text = text.replace("[meetings.m.recordings.b]\n", "[meetings.m.recordings.b]\nstatus = 'stopped'\n")

    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)

    paths = {problem.path: problem.message for problem in caught.value.details}
    assert path in paths
    assert words in paths[path]


def test_moves_are_read_in_order(tmp_path: Path) -> None:
    config = load(tmp_path, f'{MEETING}[[moved]]\nfrom = "m.old"\nto = "m.default"\n')

    [moved] = config.moved
    assert (moved.from_address, moved.to_address) == ("m.old", "m.default")
    assert moved.location.file == tmp_path / "recordings.toml"
