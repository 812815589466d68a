"""The views of a plan (text, JSON, Markdown, GitLab's report), GitHub annotations, and values shown as TOML."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

from markdown_it import MarkdownIt

from reconciler._events import RefreshEvent
from reconciler._outcome import Outcome
from reconciler._toml import toml_value
from reconciler.cli._console import Console
from reconciler.cli._progress import ApplyProgress
from reconciler.config import Problem
from reconciler.plan import Change, Drift, Plan
from reconciler.views.documents import github_annotations, gitlab_report
from reconciler.views.markdown import LIMIT, plan_markdown
from reconciler.views.text import plan_lines, plan_summary_line

MEETING = "97440c6a-140b-40a9-9499-b23fd7a3868a"
SECRET_PATHS = ("storage_config.secret", "rtmp_out_config.rtmp_url")


def start(address: str, **fields: object) -> Change:
    return Change(
        address,
        MEETING,
        ("start",),
        "not recorded yet",
        fields={"max_seconds": 3600, "video_config": {"width": 1920, "height": 1080}, **fields},
        sensitive=SECRET_PATHS,
    )


def every_action() -> Plan:
    changes = (
        start("allhands.landscape", file_name_prefix="All-hands ```fenced``` ünïcode"),
        Change("allhands.portrait", MEETING, ("pause",), 'RECORDING; declared status = "paused"', "rec-2", "RECORDING"),
        Change("allhands.audio", MEETING, ("resume",), 'PAUSED; declared status = "recording"', "rec-3", "PAUSED"),
        Change("webinar.main", MEETING, ("stop",), 'RECORDING; declared status = "stopped"', "rec-4", "RECORDING"),
        Change(
            "webinar.backup",
            MEETING,
            ("stop", "start"),
            "replacement requested",
            "rec-5",
            "RECORDING",
            fields={"max_seconds": 60},
        ),
        Change("old.gone", MEETING, ("forget",), "no longer declared", "rec-6", "UPLOADED"),
        Change("new.name", MEETING, ("move",), "renamed from old.name ([[moved]])", "rec-7", "RECORDING", "old.name"),
        Change(
            "drift.main",
            MEETING,
            ("no-op",),
            "already RECORDING; declared fields differ",
            "rec-8",
            "RECORDING",
            drift=(
                Drift("video_config", {"width": 1280}, {"width": 1920, "codec": "VP9"}),
                Drift("storage_config.secret", sensitive=True),
            ),
        ),
        Change("held.main", MEETING, ("no-op",), "held back: an earlier start has an unknown outcome", notable=True),
        Change("quiet.main", MEETING, ("no-op",), "already RECORDING", "rec-9", "RECORDING"),
    )
    events = (RefreshEvent("drift.main", "status", "INVOKED → RECORDING", "rec-8"),)
    return Plan(changes, "lineage-1", 4, warnings=("--target x matches nothing <b>@team</b>",), events=events)


def test_the_markdown_of_a_plan_with_every_action() -> None:
    text = plan_markdown(every_action())
    lines = text.splitlines()
    assert lines[0] == "<!-- reconciler:plan workspace=default -->"
    assert lines[1].startswith(
        "### reconciler plan (workspace `default`): 2 to start, 1 to pause, 1 to resume, 2 to stop"
    )
    assert "> [!WARNING]" in lines
    assert "> This plan **stops** 1 recording: `webinar.main`." in lines
    assert any(line.startswith("> This plan **replaces** 1 recording") for line in lines)
    for title in (
        "Replace (stop, then start)",
        "Stop",
        "Start",
        "Pause",
        "Resume",
        "Move",
        "Forget",
        "Unchanged, with a note",
    ):
        assert any(line.startswith(f"#### {title} (") for line in lines), title
    assert '  - `video_config`: `{ width = 1280 }` → `{ width = 1920, codec = "VP9" }`' in lines
    assert "  - `storage_config.secret`: (sensitive value changed)" in lines
    assert "- `drift.main`: INVOKED → RECORDING" in lines
    assert "- --target x matches nothing \\<b\\>\\@team\\</b\\>" in lines  # no HTML, no mention
    assert "1 declared recording unchanged." in lines
    assert "\x1b" not in text
    assert plan_markdown(every_action()) == text  # deterministic: the same plan, the same bytes

    tokens = MarkdownIt("commonmark").parse(text)
    fences = [token for token in tokens if token.type == "fence"]
    assert len(fences) == 2  # one per start: the fields it sends
    for token in fences:
        assert token.info == "toml"
        fields = tomllib.loads(token.content.replace("(sensitive)", '"hidden"'))
        assert fields["meeting_id"] == MEETING
    first = tomllib.loads(fences[1].content.replace("(sensitive)", '"hidden"'))
    assert first["file_name_prefix"] == "All-hands ```fenced``` ünïcode"  # backticks inside did not close the fence
    assert first["storage_config"] == {"secret": "hidden"}
    assert "secret = (sensitive)" in fences[1].content
    headings = [tokens[n + 1].content for n, token in enumerate(tokens) if token.type == "heading_open"]
    assert headings[0].startswith("reconciler plan (workspace `default`): 2 to start")


def test_twenty_thousand_changes_fit_in_one_comment_with_head_and_tail() -> None:
    changes = tuple(start(f"m{n:05d}.main") for n in range(20_000))
    text = plan_markdown(Plan(changes, "lineage-1", 1))
    assert len(text) <= LIMIT
    assert text.startswith("<!-- reconciler:plan workspace=default -->\n### reconciler plan")
    assert "`m00000.main`" in text  # the head
    assert "`m19999.main`" in text  # and the tail
    kept = len(re.findall(r"^- `m\d{5}\.main`", text, flags=re.MULTILINE))
    assert 50 < kept < 20_000
    (omitted,) = re.findall(r"\*… ([\d,]+) more changes left out here\*", text)
    assert int(omitted.replace(",", "")) == 20_000 - kept
    assert f"{20_000 - kept:,} of 20,000 changes are left out below" in text
    tokens = MarkdownIt("commonmark").parse(text)
    fences = [token for token in tokens if token.type == "fence"]
    assert len(fences) == kept  # every fence closed: none swallowed the rest of the document
    assert all(tomllib.loads(token.content.replace("(sensitive)", '"x"')) for token in fences)
    html = [token.content.strip() for token in tokens if token.type == "html_block"]
    assert html[0].startswith("<!-- reconciler:plan")
    assert html.count("</details>") == 1
    assert plan_markdown(Plan(changes, "lineage-1", 1)) == text


def test_the_text_view_shows_fields_as_toml_and_the_summary_says_what_was_noted() -> None:
    lines = list(plan_lines(every_action()))
    assert "      video_config = { width = 1920, height = 1080 }" in lines
    assert "      storage_config = { secret = (sensitive) }" in lines
    assert "      rtmp_out_config = { rtmp_url = (sensitive) }" in lines
    assert '      video_config: { width = 1280 } → { width = 1920, codec = "VP9" }' in lines
    assert "      storage_config.secret: (sensitive value changed)" in lines
    noted = Plan(tuple(c for c in every_action().changes if c.is_noop), "l", 1)
    assert (
        plan_summary_line(noted)
        == "No changes. 1 declared recording matches the state; 2 are unchanged with a note (above)."
    )


def test_values_read_as_toml_with_unicode_as_it_is_and_controls_escaped() -> None:
    assert toml_value({"width": 1920, "height": 1080}) == "{ width = 1920, height = 1080 }"
    assert (
        toml_value({"codec": "H264", "on": True, "list": [1, 2.5]}) == '{ codec = "H264", on = true, list = [1, 2.5] }'
    )
    assert toml_value("café ☕") == '"café ☕"'
    assert toml_value('a\x1b[2Jb\nc\x9b"') == '"a\\u001b[2Jb\\nc\\u009b\\""'
    assert toml_value({"a b": 1}) == '{ "a b" = 1 }'
    assert toml_value(None) == "(unset)"


def test_the_gitlab_report_counts() -> None:
    assert gitlab_report(every_action()) == {"create": 2, "update": 3, "delete": 3}


def test_github_annotations_are_escaped() -> None:
    problem = Problem(
        file=Path("conf/a,b:c.toml"),
        keys=("meetings", "x", "recordings", "y", "max_seconds"),
        expected="100% of 60 to 86400",
        found="1\nline two\r",
        line=14,
        column=3,
    )
    (line,) = github_annotations([problem])
    assert line == (
        "::error file=conf/a%2Cb%3Ac.toml,line=14,col=3,title=meetings.x.recordings.y.max_seconds"
        "::expected 100%25 of 60 to 86400, found 1%0Aline two%0D"
    )
    (warning,) = github_annotations([], ["recordings.toml:12: storage_config.secret is a secret: 50%"])
    assert (
        warning == "::warning file=recordings.toml,line=12,title=reconciler::storage_config.secret is a secret: 50%25"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_keeps_the_ids_of_the_recordings_started_on_screen() -> None:
    out, err = io.StringIO(), _Terminal()
    progress = ApplyProgress.for_console(Console(out=out, err=err), total=2)
    progress(Outcome("m0.main", "start", "ok", "", "rec-aaa", "INVOKED"))
    progress(Outcome("m1.main", "start", "failed", "refused (HTTP 409)"))
    progress.finish()
    assert out.getvalue() == "m0.main: started rec-aaa (INVOKED)\n"
    assert "m1.main: start FAILED: refused (HTTP 409)" in err.getvalue()
    assert "2/2, 1 failed" in err.getvalue()


def test_the_emulators_injected_errors_claim_nothing_about_what_was_created() -> None:
    source = (Path(__file__).resolve().parents[1] / "providers" / "emulator" / "_app.py").read_text()
    assert "nothing was done" not in source
    assert "the request was carried out" not in source
