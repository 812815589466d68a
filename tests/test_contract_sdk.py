"""Contract: Cloudflare's official Python SDK (5.9.0) drives the emulator with strict response validation.

The SDK's models are generated from Cloudflare's own schema, so an answer it accepts strictly is shaped like the
real API's. It retries blindly, which is why the reconciler does not use it; here retries are off.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import cloudflare
import pytest

from providers.emulator import EmulatorServer

from _provider_support import ACCOUNT, APP, MEETING, OTHER_MEETING, TOKEN


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(token=TOKEN, seed=4) as running:
        yield running


@pytest.fixture
def sdk(server: EmulatorServer) -> Iterator[cloudflare.Cloudflare]:
    client = cloudflare.Cloudflare(
        api_token=TOKEN, base_url=server.url, max_retries=0, timeout=10, _strict_response_validation=True
    )
    try:
        yield client
    finally:
        client.close()


def test_the_sdk_starts_reads_lists_and_controls(server: EmulatorServer, sdk: cloudflare.Cloudflare) -> None:
    recordings = sdk.realtime_kit.recordings
    started = recordings.start_recordings(
        APP,
        account_id=ACCOUNT,
        meeting_id=MEETING,
        allow_multiple_recordings=True,
        max_seconds=600,
        audio_config={"channel": "stereo", "codec": "AAC"},
        video_config={"codec": "H264", "width": 1280, "height": 720, "watermark": {"position": "left top"}},
        storage_config={"type": "aws", "bucket": "b", "region": "us-east-1", "access_key": "AK", "secret": "S"},
    )
    assert started.success is True
    assert started.data is not None
    recording_id = started.data.id
    assert started.data.status == "INVOKED"
    [received] = server.emulator.recordings()
    assert received["body"]["video_config"] == {
        "codec": "H264",
        "width": 1280,
        "height": 720,
        "watermark": {"position": "left top"},
    }

    one = recordings.get_one_recording(recording_id, account_id=ACCOUNT, app_id=APP)
    assert one.data is not None
    assert one.data.id == recording_id
    active = recordings.get_active_recordings(MEETING, account_id=ACCOUNT, app_id=APP)
    assert active.data.id == recording_id

    server.emulator.advance(3)
    for action, status in [("pause", "PAUSED"), ("resume", "RECORDING"), ("stop", "UPLOADING")]:
        answer = recordings.pause_resume_stop_recording(recording_id, account_id=ACCOUNT, app_id=APP, action=action)  # type: ignore[arg-type]  # from the table
        assert answer.data is not None
        assert answer.data.status == status

    server.emulator.advance(3)
    listed = recordings.get_recordings(
        APP,
        account_id=ACCOUNT,
        meeting_id=MEETING,
        status=["UPLOADED"],
        start_time=datetime.now(UTC) - timedelta(hours=1),
        sort_by="invokedTime",
        sort_order="ASC",
        page_no=1,
        per_page=50,
    )
    assert [item.id for item in listed.data] == [recording_id]
    assert listed.data[0].meeting is not None
    assert listed.data[0].meeting.id == MEETING
    assert listed.data[0].download_url is not None
    assert listed.paging.total_count == 1


def test_the_sdk_sees_the_api_errors(server: EmulatorServer, sdk: cloudflare.Cloudflare) -> None:
    recordings = sdk.realtime_kit.recordings
    recordings.start_recordings(APP, account_id=ACCOUNT, meeting_id=OTHER_MEETING)
    with pytest.raises(cloudflare.ConflictError):
        recordings.start_recordings(APP, account_id=ACCOUNT, meeting_id=OTHER_MEETING)
    with pytest.raises(cloudflare.NotFoundError):
        recordings.get_active_recordings(MEETING, account_id=ACCOUNT, app_id=APP)
    with pytest.raises(cloudflare.BadRequestError):
        recordings.start_recordings(APP, account_id=ACCOUNT, meeting_id=MEETING, max_seconds=10)
    stranger = cloudflare.Cloudflare(api_token="wrong", base_url=server.url, max_retries=0)
    try:
        with pytest.raises(cloudflare.AuthenticationError):
            stranger.realtime_kit.recordings.get_recordings(APP, account_id=ACCOUNT)
    finally:
        stranger.close()
