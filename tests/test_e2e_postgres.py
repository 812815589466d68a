"""Shared state in PostgreSQL, end to end (design §6.5): the real CLI against the emulator, the state in a real
server (`tests/_postgres.py`). Many runners on one workspace, workspaces side by side, `kill -9`, a session ended
under a run, a server restarted under a run, the schema created by two runners at once, the shared rate budget,
`force-unlock`, a role without rights, `state copy` both ways."""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from _e2e import Workspace, emulated, meetings, wait_for
from _postgres import PostgresServer, running_postgres

pytestmark = pytest.mark.e2e

FAST = ("--rate", "200")


@pytest.fixture
def schema(postgres: PostgresServer) -> str:
    return postgres.fresh_schema()


def use_postgres(
    workspace: Workspace, server: PostgresServer, schema: str, *, count: int, name: str = "default"
) -> None:
    """A configuration of `count` meetings whose state is workspace `name` of `schema` in `server`."""
    extra = "allow_multiple_recordings = true\n"
    state = f'\n[state]\nurl = "${{env:RECONCILER_STATE_URL}}"\nworkspace = "{name}"\nschema = "{schema}"\n'
    workspace.write_config(meetings(count, extra=extra) + state)
    workspace.env["RECONCILER_STATE_URL"] = server.url


def rows(server: PostgresServer, schema: str, workspace: str = "default") -> dict[str, str]:
    """address → recording id, as the view shows them."""
    with server.connect() as connection:
        found = connection.execute(
            f"SELECT address, recording_id FROM {schema}.recordings WHERE workspace = %s",  # test schema
            (workspace,),
        ).fetchall()
    return dict(found)


def one_per_meeting(
    workspace: Workspace, server: PostgresServer, schema: str, count: int, name: str = "default"
) -> None:
    per_meeting = Counter(r["meeting_id"] for r in workspace.recordings())
    assert len(per_meeting) == count
    assert set(per_meeting.values()) == {1}, per_meeting
    assert set(rows(server, schema, name).values()) == {r["id"] for r in workspace.recordings()}


def test_four_runners_on_one_workspace_take_turns_and_record_each_meeting_once(
    workspace: Workspace, postgres: PostgresServer, schema: str
) -> None:
    use_postgres(workspace, postgres, schema, count=8)
    workspace.inspect("PUT", "faults", {"latency": 0.05})
    runners = [
        workspace.spawn(
            "apply", "--auto-approve", *FAST, "--lock-timeout", "60" if n % 2 else "0", output=subprocess.PIPE
        )
        for n in range(4)
    ]
    try:
        results = [(runner.wait(timeout=120), runner.communicate()[1]) for runner in runners]
    finally:
        for runner in runners:
            runner.kill()
            runner.wait(timeout=10)
    refused = [err for code, err in results if code != 0]
    for err in refused:  # the ones that would not wait name the real holder
        assert "is locked by " in err
        assert "operation apply" in err
        assert "reconciler force-unlock" in err
    assert any(code == 0 for code, _ in results)
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    one_per_meeting(workspace, postgres, schema, 8)
    assert workspace.counters()["requests"]["start"] == 8


def test_three_workspaces_are_applied_at_once_without_blocking_each_other(
    tmp_path: Path, postgres: PostgresServer, schema: str
) -> None:
    spaces = []
    with emulated(tmp_path / "api") as api:
        for name in ("team-a", "team-b", "team-c"):
            folder = tmp_path / name
            folder.mkdir()
            space = Workspace(folder, api.server)
            use_postgres(space, postgres, schema, count=3, name=name)
            space.write_config(space.config.read_text().replace("6f1b3c2a-0000", f"6f1b3c2a-{name[-1]}aaa"))
            spaces.append(space)
        api.inspect("PUT", "faults", {"latency": 0.2})
        runners = [space.spawn("apply", "--auto-approve", *FAST, output=subprocess.PIPE) for space in spaces]
        try:
            codes = [runner.wait(timeout=60) for runner in runners]
        finally:
            for runner in runners:
                runner.kill()
                runner.wait(timeout=10)
        assert codes == [0, 0, 0]  # none waited for another (lock timeout 0)
        for name in ("team-a", "team-b", "team-c"):
            assert len(rows(postgres, schema, name)) == 3


def test_kill_9_at_random_instants_loses_nothing_and_frees_the_lock(
    workspace: Workspace, postgres: PostgresServer, schema: str
) -> None:
    rng = random.Random(11)
    workspace.inspect("PUT", "faults", {"latency": 0.1, "rates": {"drop-after": 0.1, "5xx-after": 0.1}})
    kills = 0
    for round_number in range(1, 6):
        use_postgres(workspace, postgres, schema, count=6 * round_number)
        process = workspace.spawn("apply", "--auto-approve", *FAST, "--parallelism", "2", "--http-timeout", "1")
        try:
            process.wait(timeout=rng.uniform(0.6, 1.5))
        except subprocess.TimeoutExpired:
            kills += 1
        finally:
            process.kill()  # kill -9, at a random instant of the apply (or after it ended)
            process.wait(timeout=10)
        began = time.monotonic()
        took = workspace.run("refresh", "--lock-timeout", "2")
        assert took.returncode == 0, took.stderr  # the dead run's lock is free again within 2 s
        assert time.monotonic() - began < 15
    assert kills >= 2
    workspace.inspect("PUT", "faults", {"rates": {}, "latency": 0})
    workspace.advance(125)  # starts that created nothing are concluded after the settle bound
    final = workspace.run("apply", "--auto-approve", *FAST)
    assert final.returncode == 0, final.stdout + final.stderr
    one_per_meeting(workspace, postgres, schema, 30)


def sessions_of(server: PostgresServer) -> list[int]:
    with server.connect() as connection:
        found = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'reconciler' AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in found]


def end_sessions(server: PostgresServer) -> None:
    """End every session the runs have open (as an administrator's `pg_terminate_backend` would)."""
    with server.connect() as connection:
        for pid in sessions_of(server):
            connection.execute("SELECT pg_terminate_backend(%s)", (pid,))


def restart(server: PostgresServer) -> None:
    """Restart the server under the runs (a server someone else provides: end every other session instead)."""
    if server.restart is None:
        end_sessions(server)
    else:
        server.restart()


def apply_disturbed(workspace: Workspace, server: PostgresServer, schema: str, disturb: Callable[[], None]) -> str:
    """An apply of 10 meetings that `disturb` interrupts after two starts; it must stop with exit 1 and a message,
    and the next apply (once the API's clock has passed the settle bound) must leave one recording a meeting.
    Returns what the disturbed run said on stderr."""
    use_postgres(workspace, server, schema, count=10)
    workspace.inspect("PUT", "faults", {"latency": 0.1})
    process = workspace.spawn("apply", "--auto-approve", "--parallelism", "1", *FAST, output=subprocess.PIPE)
    try:
        wait_for(lambda: workspace.counters()["starts"] >= 2, "two starts", timeout=30)
        disturb()
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 1, err
    assert "Traceback" not in err
    workspace.inspect("PUT", "faults", {"latency": 0})
    workspace.advance(125)
    final = workspace.run("apply", "--auto-approve", *FAST)
    assert final.returncode == 0, final.stdout + final.stderr
    one_per_meeting(workspace, server, schema, 10)
    return err


def test_a_session_ended_under_a_run_stops_it_with_a_message_and_the_next_run_resolves(
    workspace: Workspace, postgres: PostgresServer, schema: str
) -> None:
    said = apply_disturbed(workspace, postgres, schema, lambda: end_sessions(postgres))
    assert "went away" in said or "was removed" in said or "cannot reach" in said, said


def test_a_server_restarted_under_a_run_stops_it_and_nothing_is_lost(tmp_path: Path) -> None:
    with running_postgres() as server, emulated(tmp_path) as workspace:
        said = apply_disturbed(workspace, server, server.fresh_schema(), lambda: restart(server))
    assert "went away" in said or "was removed" in said or "cannot reach" in said, said


def test_two_runners_create_the_schema_at_the_same_instant(
    workspace: Workspace, postgres: PostgresServer, schema: str
) -> None:
    use_postgres(workspace, postgres, schema, count=2)
    runners = [workspace.spawn("plan", "--lock-timeout", "30", output=subprocess.PIPE) for _ in range(2)]
    try:
        results = [(runner.wait(timeout=60), runner.communicate()[1]) for runner in runners]
    finally:
        for runner in runners:
            runner.kill()
            runner.wait(timeout=10)
    assert [code for code, _ in results] == [0, 0], results
    with postgres.connect() as connection:
        (version,) = connection.execute(
            f"SELECT value FROM {schema}.meta WHERE key = 'schema_version'"
        ).fetchone()  # test schema
    assert version == "1"


def test_runners_sharing_a_database_and_a_token_share_one_rate_budget(
    tmp_path: Path, postgres: PostgresServer, schema: str
) -> None:
    with emulated(tmp_path / "api") as api:
        api.inspect("PUT", "faults", {"rps_limit": 5})  # a little above the budget: any burst beyond it is a 429
        spaces = []
        for name in ("a", "b", "c"):
            folder = tmp_path / name
            folder.mkdir()
            space = Workspace(folder, api.server)
            use_postgres(space, postgres, schema, count=6, name=name)
            space.write_config(space.config.read_text().replace("6f1b3c2a-0000", f"6f1b3c2a-{name}000"))
            spaces.append(space)
        began = time.monotonic()
        runners = [space.spawn("apply", "--auto-approve", "--rate", "4", output=subprocess.PIPE) for space in spaces]
        try:
            codes = [runner.wait(timeout=120) for runner in runners]
        finally:
            for runner in runners:
                runner.kill()
                runner.wait(timeout=10)
        elapsed = time.monotonic() - began
        counters = api.counters()
    sent = sum(counters["requests"].values())
    assert codes == [0, 0, 0]
    assert counters["rate_limited"] == 0
    assert sent / elapsed <= 4.2, f"{sent} requests in {elapsed:.1f} s"
    with postgres.connect() as connection:
        digests = connection.execute(f"SELECT token_digest FROM {schema}.rate_budgets").fetchall()  # test schema
    assert len(digests) == 1
    assert workspace_token_absent(postgres, schema)


def workspace_token_absent(server: PostgresServer, schema: str) -> bool:
    """The token is nowhere in the database: only its salted digest."""
    from _e2e import TOKEN

    with server.connect() as connection:
        dumped = connection.execute(
            f"SELECT string_agg(t::text, '') FROM (SELECT * FROM {schema}.rate_budgets UNION ALL "  # test schema
            f"SELECT key, 0 FROM {schema}.meta) t"
        ).fetchone()
    return TOKEN not in str(dumped)


def test_force_unlock_ends_the_holders_session_and_the_holder_stops(
    workspace: Workspace, postgres: PostgresServer, schema: str
) -> None:
    use_postgres(workspace, postgres, schema, count=10)
    first = workspace.spawn("apply", "--auto-approve", "--rate", "2", "--parallelism", "1", output=subprocess.PIPE)
    try:
        wait_for(lambda: workspace.counters()["starts"] >= 2, "two starts", timeout=30)
        with postgres.connect() as connection:
            (lock_id,) = connection.execute(f"SELECT lock_id FROM {schema}.locks").fetchone()  # test schema
        alive = workspace.run("force-unlock", lock_id)
        assert alive.returncode == 1
        assert f"pid {first.pid}" in alive.stderr
        forced = workspace.run("force-unlock", "--force", lock_id)
        assert forced.returncode == 0, forced.stderr
        _, err = first.communicate(timeout=60)
    finally:
        first.kill()
        first.wait(timeout=10)
    assert first.returncode == 1
    assert "was removed while it ran" in err or "went away" in err
    final = workspace.run("apply", "--auto-approve", *FAST)
    assert final.returncode == 0, final.stdout + final.stderr
    one_per_meeting(workspace, postgres, schema, 10)


def test_a_role_without_the_right_to_create_the_schema_is_told_the_sql_and_the_password_is_never_shown(
    workspace: Workspace, postgres: PostgresServer, schema: str
) -> None:
    with postgres.connect() as connection:
        connection.execute("DROP ROLE IF EXISTS reader")
        connection.execute("CREATE ROLE reader LOGIN PASSWORD 'pw-8c1f'")
    host = postgres.url.split("@", 1)[1]
    use_postgres(workspace, postgres, schema, count=1)
    workspace.env["RECONCILER_STATE_URL"] = f"postgresql://reader:pw-8c1f@{host}"
    result = workspace.run("plan")
    assert result.returncode == 1
    assert f"has no schema {schema} yet, and this role may not create it" in result.stderr
    assert (
        f'CREATE SCHEMA IF NOT EXISTS "{schema}";' in result.stderr
        or f"CREATE SCHEMA IF NOT EXISTS {schema};" in result.stderr
    )
    assert "pw-8c1f" not in result.stderr + result.stdout
    assert "postgresql://reader@" in result.stderr


def test_state_copy_moves_a_file_state_into_a_database_and_back(
    workspace: Workspace, postgres: PostgresServer, schema: str
) -> None:
    workspace.write_config(meetings(3))
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    original = workspace.state()
    url = postgres.url
    copied = workspace.run("state", "copy", "recordings.state.json", url, "--schema", schema, "--workspace", "moved")
    assert copied.returncode == 0, copied.stderr
    assert rows(postgres, schema, "moved") == {a: e["recording_id"] for a, e in original["recordings"].items()}
    again = workspace.run("state", "copy", "recordings.state.json", url, "--schema", schema, "--workspace", "moved")
    assert again.returncode == 0, again.stderr  # the same lineage: nothing refused, nothing duplicated
    back = workspace.root / "back.json"
    returned = workspace.run("state", "copy", url, str(back), "--schema", schema, "--workspace", "moved")
    assert returned.returncode == 0, returned.stderr
    document = json.loads(back.read_text())
    assert document["lineage"] == original["lineage"]
    assert document["recordings"] == original["recordings"]
    assert document["binding"] == original["binding"]
    other = workspace.root / "other.state.json"
    other.write_text(back.read_text().replace(original["lineage"], "00000000-0000-4000-8000-000000000000"))
    refused = workspace.run("state", "copy", str(other), url, "--schema", schema, "--workspace", "moved")
    assert refused.returncode == 1
    assert "holds another state" in refused.stderr


def test_every_command_works_on_a_database_state(workspace: Workspace, postgres: PostgresServer, schema: str) -> None:
    use_postgres(workspace, postgres, schema, count=3)
    assert workspace.run("apply", "--auto-approve", *FAST).returncode == 0
    shown = workspace.run("show")
    assert shown.returncode == 0, shown.stderr
    assert f"(schema {schema}, workspace default)" in shown.stdout
    assert "# bound to account" in shown.stdout
    assert [row["address"] for row in workspace.run_json("state", "list")] == ["m0.main", "m1.main", "m2.main"]
    assert workspace.run("state", "show", "m1.main").returncode == 0
    assert workspace.run("state", "mv", "m2.main", "m2.other").returncode == 0
    assert "m2.other" in rows(postgres, schema)
    removed = workspace.run("state", "rm", "m2.other")
    assert removed.returncode == 0, removed.stderr
    recording = next(r["id"] for r in workspace.recordings() if r["meeting_id"].endswith("0002"))
    imported = workspace.run("import", "m2.main", recording)
    assert imported.returncode == 0, imported.stderr
    assert rows(postgres, schema)["m2.main"] == recording
    assert workspace.run("refresh").returncode == 0
    # A saved plan is refused once the database's state moved on in a way that changes its decisions.
    saved = workspace.run("plan", "--out", "plan.json")
    assert saved.returncode == 0, saved.stderr
    assert workspace.run("state", "rm", "m0.main").returncode == 0
    stale = workspace.run("apply", "plan.json")
    assert stale.returncode == 1
    assert "stale" in stale.stderr
    assert workspace.counters()["requests"]["start"] == 3
