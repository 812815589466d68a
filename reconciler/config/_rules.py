"""The rules that span fields, checked on a recording's request as it will be sent (`[defaults]` merged in).

The models check each field where it is written; these rules need several fields at once, often from two
tables (design §3.3 and the SDK's four storage variants):

- `storage_config` needs a `type`; aws, azure and digitalocean need `access_key` and `region`; sftp needs
  `host`, `username` and credentials that fit `auth_method`: KEY → `private_key`, PASSWORD → `password`, and
  without `auth_method` either one (the tool never adds an `auth_method` the file did not declare; the API
  picks the method from the credential it is given).
- `realtimekit_bucket_config` needs `enabled`.
- `audio_config` is refused with a VP8 or VP9 video codec (the API then forces vorbis audio).

Each breach names the fields it read, so the loader can blame `[defaults]` once instead of every recording
that inherits the same mistake, and blame a recording only when it declared one of those fields itself.
Meeting-wide rules (several active recordings, `[[moved]]`) live in `_build.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SECTIONS_READ", "Breach", "check_request"]

Keys = tuple[str | int, ...]

# Every top-level field a rule reads: a recording without any of them breaks exactly what [defaults] breaks.
SECTIONS_READ = frozenset({"storage_config", "realtimekit_bucket_config", "audio_config", "video_config"})

_KEYED_STORAGE = ("aws", "azure", "digitalocean")


@dataclass(frozen=True, slots=True)
class Breach:
    """A broken rule: at `keys` (relative to the request) `expected` was not met; `reads` are the fields (or
    whole tables) the rule looked at."""

    keys: Keys
    expected: str
    found: str
    reads: tuple[Keys, ...]

    def involves(self, table: Mapping[str, Any]) -> bool:
        """Whether `table` (a recording or [defaults] as written) declares one of the fields the rule read."""
        for keys in self.reads:
            inner: Any = table
            for key in keys:
                if not isinstance(inner, Mapping) or key not in inner:
                    break
                inner = inner[key]
            else:
                return True
        return False


def check_request(request: Mapping[str, Any], *, complete: bool) -> list[Breach]:
    """The breaches of `request`. With `complete=False` (`[defaults]` alone, which a recording completes) only
    contradictions are checked, not missing fields."""
    breaches = _audio_with_vp(request)
    if complete:
        breaches += _storage(request.get("storage_config"))
        bucket = request.get("realtimekit_bucket_config")
        if isinstance(bucket, Mapping) and "enabled" not in bucket:
            breaches.append(
                Breach(
                    ("realtimekit_bucket_config", "enabled"),
                    "enabled = true or false (the API requires it in realtimekit_bucket_config)",
                    "nothing",
                    (("realtimekit_bucket_config",),),
                )
            )
    return breaches


def _audio_with_vp(request: Mapping[str, Any]) -> list[Breach]:
    video = request.get("video_config")
    codec = video.get("codec") if isinstance(video, Mapping) else None
    if "audio_config" not in request or codec not in ("VP8", "VP9"):
        return []
    return [
        Breach(
            ("audio_config",),
            f"no audio_config with video codec {codec} (the API then records vorbis audio and refuses audio_config)",
            "an audio_config table",
            (("audio_config",), ("video_config", "codec")),
        )
    ]


def _storage(storage: Any) -> list[Breach]:
    if not isinstance(storage, Mapping):
        return []
    reads: tuple[Keys, ...] = (("storage_config",),)

    def missing(key: str, why: str) -> Breach:
        return Breach(("storage_config", key), f"{key} ({why})", "nothing", reads)

    kind = storage.get("type")
    if kind is None:
        return [missing("type", "one of aws, azure, digitalocean, gcs, sftp")]
    breaches: list[Breach] = []
    if kind in _KEYED_STORAGE:
        breaches += [missing(key, f"{kind} storage needs it") for key in ("access_key", "region") if key not in storage]
    elif kind == "sftp":
        breaches += [missing(key, "sftp storage needs it") for key in ("host", "username") if key not in storage]
        method = storage.get("auth_method")
        if method == "KEY" and "private_key" not in storage:
            breaches.append(missing("private_key", "auth_method KEY logs in with a private key"))
        elif method == "PASSWORD" and "password" not in storage:
            breaches.append(missing("password", "auth_method PASSWORD logs in with a password"))
        elif method is None and "password" not in storage and "private_key" not in storage:
            breaches.append(missing("password", "sftp storage needs a password or a private_key"))
    return breaches
