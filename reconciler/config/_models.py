"""The configuration file's shape as pydantic v2 models: the API's start-recording fields (design §3.3) and the
tables around them.

These models check each table where it is written: types (strict: a string is not a number, a bool is not an
int), enums, ranges, patterns and unknown keys. Every field is optional here, because `[defaults]` and a
recording each hold part of a request; the rules about the merged request (a required storage `type`, sftp
credentials, audio with VP8/VP9, several active recordings) live in `_rules.py`. The same models generate the
JSON Schema that editors use (`_schema.py`).

They are `TypedDict`s: one call validates a whole file in pydantic-core, with no model instance per recording.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, Required

from pydantic import ConfigDict, Field, TypeAdapter, with_config

# pydantic needs typing_extensions' TypedDict before Python 3.12 (it ships with pydantic).
from typing_extensions import TypedDict

from reconciler.config._patterns import (
    ADDRESS_PATTERN,
    KEY_PATTERN,
    PATH_SEGMENT_PATTERN,
    RTMP_PATTERN,
    SQL_NAME_PATTERN,
    STATE_URL_PATTERN,
    URI_PATTERN,
    UUID_PATTERN,
)

__all__ = [
    "FILE_ADAPTER",
    "RECORDING_FIELDS",
    "AudioConfig",
    "ConfigFile",
    "MeetingTable",
    "MovedEntry",
    "ProviderTable",
    "RecordingFields",
    "StateTable",
    "StorageConfig",
    "VideoConfig",
]

_STRICT = ConfigDict(extra="forbid", strict=True)

Key = Annotated[str, Field(pattern=KEY_PATTERN)]
Address = Annotated[str, Field(pattern=ADDRESS_PATTERN, description="An address: <meeting key>.<recording key>.")]
Size = Annotated[int, Field(ge=1, le=1920)]


@with_config(_STRICT)
class AudioConfig(TypedDict, total=False):
    """Object containing configuration regarding the audio that is being recorded. Not allowed with a VP8 or VP9
    video codec (the API then records vorbis audio)."""

    channel: Annotated[Literal["mono", "stereo"], Field(description="Audio channels (API default: stereo).")]
    codec: Annotated[Literal["MP3", "AAC"], Field(description="Audio codec (API default: AAC).")]
    export_file: Annotated[bool, Field(description="Export the audio as a separate file (API default: true).")]


@with_config(_STRICT)
class InteractiveConfig(TypedDict, total=False):
    """Timed metadata (ID3 tags) in the recording."""

    type: Annotated[Literal["ID3"], Field(description="The metadata is presented in the form of ID3 tags.")]


@with_config(_STRICT)
class RealtimekitBucketConfig(TypedDict, total=False):
    """Whether recordings are uploaded to RealtimeKit's bucket (`enabled` is required once the table is used)."""

    enabled: Annotated[bool, Field(description="Upload to RealtimeKit's bucket (download URLs need it).")]


@with_config(_STRICT)
class RtmpOutConfig(TypedDict, total=False):
    """Stream the recording to an RTMP endpoint."""

    rtmp_url: Annotated[
        str,
        Field(
            pattern=RTMP_PATTERN,
            description="rtmp:// or rtmps:// URL with the stream key (sensitive: use ${env:NAME}).",
        ),
    ]


@with_config(_STRICT)
class StorageConfig(TypedDict, total=False):
    """Your own storage for the recording. `type` is required (here or in [defaults]); aws, azure and
    digitalocean need `access_key` and `region`; sftp needs `host`, `username` and a `private_key` (auth_method
    KEY) or a `password` (auth_method PASSWORD)."""

    type: Annotated[Literal["aws", "azure", "digitalocean", "gcs", "sftp"], Field(description="Storage type.")]
    access_key: Annotated[str, Field(description="Access key (sensitive: use ${env:NAME}).")]
    auth_method: Annotated[Literal["KEY", "PASSWORD"], Field(description="How sftp logs in.")]
    bucket: Annotated[str, Field(description="Bucket name.")]
    host: Annotated[str, Field(description="sftp server host.")]
    password: Annotated[str, Field(description="sftp password, or the private key's passphrase (sensitive).")]
    path: Annotated[str, Field(description="Path relative to the bucket root.")]
    port: Annotated[int, Field(ge=1, le=65535, description="sftp server port.")]
    private_key: Annotated[str, Field(description="sftp private key (sensitive: use ${env:NAME}).")]
    region: Annotated[str, Field(description="Region of the storage, such as us-east-1.")]
    secret: Annotated[str, Field(description="Secret key (sensitive: use ${env:NAME}).")]
    username: Annotated[str, Field(description="sftp user name.")]


@with_config(_STRICT)
class WatermarkSize(TypedDict, total=False):
    """Size of the watermark in pixels."""

    height: Annotated[int, Field(ge=1, description="Height of the watermark in px.")]
    width: Annotated[int, Field(ge=1, description="Width of the watermark in px.")]


@with_config(_STRICT)
class Watermark(TypedDict, total=False):
    """Watermark to be added to the recording."""

    position: Annotated[
        Literal["left top", "right top", "left bottom", "right bottom"],
        Field(description="Position of the watermark (API default: left top)."),
    ]
    size: WatermarkSize
    url: Annotated[str, Field(pattern=URI_PATTERN, description="URL of the watermark image.")]


@with_config(_STRICT)
class VideoConfig(TypedDict, total=False):
    """Video of the recording."""

    codec: Annotated[Literal["H264", "VP8", "VP9"], Field(description="Video codec (API default: H264).")]
    export_file: Annotated[bool, Field(description="Export the video file (API default: true).")]
    height: Annotated[Size, Field(description="Height in pixels, 1-1920 (API default: 720).")]
    watermark: Watermark
    width: Annotated[Size, Field(description="Width in pixels, 1-1920 (API default: 1280).")]


@with_config(_STRICT)
class RecordingFields(TypedDict, total=False):
    """A recording: the API's start-recording fields, plus `status`, the tool's own desired state."""

    allow_multiple_recordings: Annotated[
        bool, Field(description="Allow other recordings of the meeting at the same time (each one must set it).")
    ]
    audio_config: AudioConfig
    file_name_prefix: Annotated[str, Field(description="Prefix of the recording's file name.")]
    interactive_config: InteractiveConfig
    max_seconds: Annotated[
        int, Field(ge=60, le=86400, description="Stop after this many seconds, 60-86400 (API default: 86400).")
    ]
    realtimekit_bucket_config: RealtimekitBucketConfig
    rtmp_out_config: RtmpOutConfig
    storage_config: StorageConfig
    url: Annotated[str, Field(description="Record this page instead of the meeting's default view.")]
    video_config: VideoConfig
    status: Annotated[
        Literal["recording", "paused", "stopped"],
        Field(description="Desired state (default: recording). Never sent to the API."),
    ]


# The start-request fields and `status`, in the order the API documents them.
RECORDING_FIELDS: Final[tuple[str, ...]] = tuple(RecordingFields.__annotations__)


@with_config(_STRICT)
class ProviderTable(TypedDict, total=False):
    """Where the recordings live. Env CLOUDFLARE_ACCOUNT_ID / REALTIMEKIT_APP_ID fill what is missing."""

    account_id: Annotated[
        str, Field(min_length=1, max_length=32, pattern=PATH_SEGMENT_PATTERN, description="Cloudflare account id.")
    ]
    app_id: Annotated[str, Field(min_length=1, pattern=PATH_SEGMENT_PATTERN, description="RealtimeKit app id.")]


@with_config(_STRICT)
class StateTable(TypedDict, total=False):
    """Where the state is: a file (`path`), or a PostgreSQL database (`url`), not both."""

    path: Annotated[str, Field(min_length=1, description="State file, relative to this file.")]
    url: Annotated[
        str,
        Field(
            pattern=STATE_URL_PATTERN,
            description='PostgreSQL URL of a shared state (sensitive: use "${env:RECONCILER_STATE_URL}").',
        ),
    ]
    workspace: Annotated[str, Field(pattern=KEY_PATTERN, description="Workspace in the database (default: default).")]
    schema: Annotated[
        str, Field(pattern=SQL_NAME_PATTERN, description="Schema of the state's tables (default: reconciler).")
    ]


@with_config(_STRICT)
class MeetingTable(TypedDict, total=False):
    """A meeting to record. Without `recordings` it has one recording, `default`, made of [defaults]."""

    id: Required[Annotated[str, Field(pattern=UUID_PATTERN, description="The meeting's id (a UUID).")]]
    recordings: Annotated[
        dict[Key, RecordingFields],
        Field(min_length=1, description="The meeting's recordings by key; the address is <meeting>.<recording>."),
    ]


# `from` is a Python keyword, so this table is spelt the functional way.
MovedEntry = TypedDict("MovedEntry", {"from": Address, "to": Address})
MovedEntry.__doc__ = "A renamed address: the recording in state under `from` now belongs to `to` (nothing is sent)."
with_config(_STRICT)(MovedEntry)


@with_config(_STRICT)
class ConfigFile(TypedDict, total=False):
    """A reconciler configuration file (TOML): which RealtimeKit meetings to record, and how."""

    provider: ProviderTable
    state: StateTable
    defaults: Annotated[RecordingFields, Field(description="Recording fields merged under every recording.")]
    meetings: Annotated[dict[Key, MeetingTable], Field(description="Meetings by key.")]
    moved: Annotated[list[MovedEntry], Field(description="Renamed addresses ([[moved]] tables).")]


FILE_ADAPTER: Final[TypeAdapter[ConfigFile]] = TypeAdapter(ConfigFile)
