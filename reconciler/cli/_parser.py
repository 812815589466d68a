"""The command line of design §7, as an argparse parser. Building it imports nothing heavy.

Each command names its handler as "module:function"; the module is imported only when the command runs, so
`reconciler --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from reconciler import __version__
from reconciler.cli._options import emulator_options, positive_float, positive_int, seconds

__all__ = ["build_parser"]

_CONFIG_HELP = "configuration file, or a folder of *.toml files (default: recordings.toml)"


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors exit 1, as every other bad input does (2 means "plan has changes")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"Error: {message}\n")


class _Once(argparse.Action):
    """An option given at most once, never empty: `-c a -c b` would otherwise keep `b` silently, and `-c ''` read
    the current folder."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        previous = getattr(namespace, self.dest, None)
        if previous is not None and previous != values:
            parser.error(f"{option_string} given twice ({previous} and {values}): give it once")
        if not isinstance(values, str) or not values.strip():
            parser.error(f"{option_string} needs a path, found an empty one")
        setattr(namespace, self.dest, values)


# The formats each command offers (design §7.1). `--json` is short for `--format json`.
PLAN_FORMATS = ("text", "json", "markdown", "gitlab")
VIEW_FORMATS = ("text", "json", "markdown")
PLAIN_FORMATS = ("text", "json")
VALIDATE_FORMATS = ("text", "json", "github")


def _common(
    *,
    config: bool = True,
    state: bool = True,
    formats: tuple[str, ...] | None = PLAIN_FORMATS,
    lock: bool = False,
) -> _Parser:
    parent = _Parser(add_help=False)
    if config:
        parent.add_argument("-c", "--config", metavar="PATH", default=None, action=_Once, help=_CONFIG_HELP)
    if state:
        parent.add_argument(
            "--state", metavar="PATH", default=None, action=_Once, help="state file (default: from the config)"
        )
    if formats:
        parent.add_argument(
            "--format",
            choices=formats,
            default="text",
            help=f"output format: {', '.join(formats)} (default: text)",
        )
        parent.add_argument("--json", dest="format", action="store_const", const="json", help="short for --format json")
    if lock:
        parent.add_argument(
            "--lock-timeout",
            metavar="SECONDS",
            type=seconds,
            default=0.0,
            help="wait this long for the state lock (default: 0, fail at once)",
        )
    parent.add_argument("--no-color", action="store_true", help="no colour (also: env NO_COLOR)")
    parent.add_argument("--debug", action="store_true", help="show every retry, and tracebacks of unexpected errors")
    return parent


def _run_options(parser: argparse.ArgumentParser, *, apply: bool) -> None:
    parser.add_argument(
        "--target",
        metavar="ADDR",
        action="append",
        default=[],
        help="only this address (repeatable; globs like 'allhands.*')",
    )
    parser.add_argument(
        "--replace",
        metavar="ADDR",
        action="append",
        default=[],
        help="stop (when active) and start this address again (repeatable)",
    )
    _api_options(parser)
    if apply:
        parser.add_argument(
            "--parallelism", metavar="N", type=positive_int, default=10, help="actions in flight at once (default: 10)"
        )


def _api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rate", metavar="R", type=positive_float, default=4.0, help="API requests per second (default: 4)"
    )
    parser.add_argument(
        "--http-timeout",
        metavar="SECONDS",
        type=positive_float,
        default=30.0,
        help="deadline of each API exchange: connect, send and the whole answer (default: 30)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reconciler",
        description="Keep Cloudflare RealtimeKit recordings in line with a TOML file kept in git.",
    )
    parser.add_argument("--version", action="version", version=f"reconciler {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, handler: str, help_text: str, *parents: _Parser) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=list(parents))
        sub.set_defaults(handler=handler)
        return sub

    _plan_commands(add)

    refresh = add(
        "refresh", "reconciler.cli._apply_cmds:run_refresh", "update the state from the API only", _common(lock=True)
    )
    _api_options(refresh)

    show = add(
        "show",
        "reconciler.cli._state_cmds:run_show",
        "print the state, or a saved plan",
        _common(formats=PLAN_FORMATS),
    )
    show.add_argument("planfile", nargs="?", metavar="PLANFILE")

    _state_commands(commands)

    imp = add(
        "import",
        "reconciler.cli._apply_cmds:run_import",
        "adopt an existing recording under an address",
        _common(lock=True),
    )
    imp.add_argument("address", metavar="ADDR")
    imp.add_argument("recording_id", metavar="RECORDING_ID")
    _api_options(imp)

    unlock = add(
        "force-unlock",
        "reconciler.cli._state_edit_cmds:run_force_unlock",
        "remove a lock left behind",
        _common(formats=None),
    )
    unlock.add_argument("lock_id", metavar="LOCK_ID")
    unlock.add_argument(
        "--force",
        action="store_true",
        help="remove the lock even though its holder still runs on this host (it stops at its next request)",
    )

    add(
        "schema",
        "reconciler.cli._config_cmds:run_schema",
        "print the JSON Schema of the configuration file",
        _common(config=False, state=False, formats=None),
    )

    emulator = add(
        "emulator",
        "reconciler.cli._emulator_cmd:run_emulator",
        "serve a local RealtimeKit-compatible API",
        _common(config=False, state=False, formats=None),
    )
    emulator_options(emulator)
    return parser


def _plan_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """`validate`, `plan` and `apply`."""
    validate = add(
        "validate",
        "reconciler.cli._config_cmds:run_validate",
        "check the configuration (no network, no state)",
        _common(state=False, formats=VALIDATE_FORMATS),
    )
    validate.add_argument(
        "--allow-missing-env",
        action="store_true",
        help="do not fail on ${env:NAME} values whose variable is not set (offline checks: a pre-commit hook)",
    )

    plan = add(
        "plan",
        "reconciler.cli._plan_cmds:run_plan",
        "refresh, diff and show what apply would do",
        _common(lock=True, formats=PLAN_FORMATS),
    )
    _run_options(plan, apply=False)
    plan.add_argument("--out", metavar="FILE", help="save the plan for `apply FILE`")
    plan.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when the plan has changes")
    plan.add_argument("--no-refresh", action="store_true", help="plan from the state as it is (sends nothing)")
    plan.add_argument("--no-summary", action="store_true", help="do not append to GitHub's step summary")

    apply = add(
        "apply",
        "reconciler.cli._apply_cmds:run_apply",
        "carry out a plan: start what is missing",
        _common(lock=True, formats=VIEW_FORMATS),
    )
    _run_options(apply, apply=True)
    apply.add_argument(
        "planfile",
        nargs="?",
        metavar="PLANFILE",
        help="a plan saved by `plan --out` (its configuration is the one it was made from, unless -c says)",
    )
    apply.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    apply.add_argument("--no-refresh", action="store_true", help="plan from the state as it is")
    apply.add_argument("--no-summary", action="store_true", help="do not append to GitHub's step summary")


def _state_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    state = commands.add_parser("state", help="inspect and edit the state", description="inspect and edit the state")
    state_commands = state.add_subparsers(dest="state_command", metavar="SUBCOMMAND", required=True)

    def add_state(name: str, handler: str, help_text: str, parent: _Parser) -> argparse.ArgumentParser:
        sub = state_commands.add_parser(name, help=help_text, description=help_text, parents=[parent])
        sub.set_defaults(handler=handler)
        return sub

    views = VIEW_FORMATS
    add_state(
        "list", "reconciler.cli._state_cmds:run_state_list", "list the addresses in the state", _common(formats=views)
    )
    add_state(
        "show", "reconciler.cli._state_cmds:run_state_show", "show one address", _common(formats=views)
    ).add_argument("address", metavar="ADDR")
    add_state(
        "rm",
        "reconciler.cli._state_edit_cmds:run_state_rm",
        "forget addresses (no API call)",
        _common(lock=True, formats=views),
    ).add_argument("addresses", nargs="+", metavar="ADDR")
    mv = add_state(
        "mv", "reconciler.cli._state_edit_cmds:run_state_mv", "rename an address", _common(lock=True, formats=views)
    )
    mv.add_argument("source", metavar="SRC")
    mv.add_argument("destination", metavar="DST")
    copy = add_state(
        "copy",
        "reconciler.cli._state_edit_cmds:run_state_copy",
        "copy the state to another place: a file or a postgresql:// URL (both locked, journals folded, lineage kept)",
        _common(config=True, state=False, lock=True, formats=views),
    )
    copy.add_argument("source", metavar="SRC", help="a state file, or a postgresql:// URL")
    copy.add_argument("destination", metavar="DST", help="a state file, or a postgresql:// URL")
    copy.add_argument(
        "--workspace", default=None, help="workspace of a database side (default: [state] workspace, else default)"
    )
    copy.add_argument("--to-workspace", default=None, help="workspace of the destination, when it differs")
    copy.add_argument("--schema", default=None, help="schema of a database side (default: [state] schema)")
    rebind = add_state(
        "rebind",
        "reconciler.cli._rebind_cmd:run_state_rebind",
        "bind the state to the account, app and API this configuration points at (after a real move)",
        _common(lock=True, formats=views),
    )
    _api_options(rebind)
