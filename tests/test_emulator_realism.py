"""What the exactly-once tests need of the emulator: its own clock (in every `Date` header), apps that exist and
apps that do not, recordings started by others, ids that differ between runs, and a list that ignores its filters."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest

from providers.emulator import EmulatorServer

from _provider_support import ACCOUNT, APP, MEETING, OTHER_MEETING, TOKEN, call, client_for, inspect


def test_every_answer_is_dated_by_the_emulators_clock_which_can_be_set_off() -> None:
    with EmulatorServer(token=TOKEN, clock_offset=-180) as server:
        answer = call(server, "GET")
        dated = parsedate_to_datetime(answer.headers["date"]).timestamp()
        assert abs(dated - (time.time() - 180)) < 2
        started = call(server, "POST", body={"meeting_id": MEETING}).json()["data"]
        invoked = parsedate_to_datetime(answer.headers["date"]).timestamp()
        assert started["invoked_time"].startswith(time.strftime("%Y-%m-%dT", time.gmtime(invoked)))
        with client_for(server) as client:
            client.check_access()
            api_time = client.api_time()
            assert api_time is not None
            assert abs(api_time.timestamp() - (time.time() - 180)) < 2


def test_only_the_apps_named_exist_when_apps_are_named() -> None:
    with EmulatorServer(token=TOKEN, apps=[APP]) as server:
        assert call(server, "GET").status_code == 200
        missing = call(server, "GET", app="leftover-app")
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == "App leftover-app not found"


def test_a_recording_started_by_someone_else_says_so_and_is_listed_with_its_meeting() -> None:
    with EmulatorServer(token=TOKEN) as server:
        body = {"account_id": ACCOUNT, "app_id": APP, "meeting_id": MEETING, "caller": "USER"}
        foreign = inspect(server, "POST", "recordings", body).json()["id"]
        reason = call(server, "GET", f"/{foreign}").json()["data"]["start_reason"]
        assert reason == {"reason": "API_CALL", "caller": {"type": "USER", "name": "emulator"}}
        auto = inspect(server, "POST", "recordings", {**body, "reason": "RECORD_ON_START", "caller": None}).json()
        assert call(server, "GET", f"/{auto['id']}").json()["data"]["start_reason"] == {"reason": "RECORD_ON_START"}
        ours = call(server, "POST", body={"meeting_id": MEETING, "allow_multiple_recordings": True}).json()["data"]
        assert ours["start_reason"]["caller"]["type"] == "ORGANIZATION"
        listed = call(server, "GET", params={"meeting_id": MEETING, "per_page": "100"}).json()["data"]
        assert [item["meeting"]["id"] for item in listed] == [MEETING] * 3


def test_ids_differ_between_runs_without_a_seed_and_repeat_with_one() -> None:
    def first_id(seed: int | None) -> str:
        with EmulatorServer(token=TOKEN, seed=seed) as server:
            return str(call(server, "POST", body={"meeting_id": MEETING}).json()["data"]["id"])

    assert first_id(None) != first_id(None)
    assert first_id(5) == first_id(5)


def test_the_unfiltered_fault_makes_one_list_answer_ignore_its_meeting() -> None:
    with EmulatorServer(token=TOKEN) as server:
        for meeting_id in (MEETING, OTHER_MEETING):
            call(server, "POST", body={"meeting_id": meeting_id})
        server.emulator.script("list", "unfiltered")
        broken = call(server, "GET", params={"meeting_id": MEETING}).json()["data"]
        assert {item["meeting"]["id"] for item in broken} == {MEETING, OTHER_MEETING}
        honest = call(server, "GET", params={"meeting_id": MEETING}).json()["data"]
        assert {item["meeting"]["id"] for item in honest} == {MEETING}


@pytest.mark.parametrize("offset", [float("nan"), float("inf")])
def test_a_clock_offset_that_is_not_a_number_of_seconds_is_refused(offset: float) -> None:
    with pytest.raises(ValueError, match="clock_offset"):
        EmulatorServer(token=TOKEN, clock_offset=offset)
