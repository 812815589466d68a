"""Build the concrete pieces a command needs from its flags and the environment: config, store, API client, and
what the run points at (its `Binding`).

The only module besides the emulator command that reads API settings from the environment:
`CLOUDFLARE_API_TOKEN` (required for any API call), `CLOUDFLARE_BASE_URL` (optional; how the emulator is
reached).
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta
from typing import TYPE_CHECKING

from reconciler import __version__
from reconciler.cli._paths import config_path
from reconciler.errors import UsageError

if TYPE_CHECKING:
    from providers import RealtimeKitClient
    from reconciler._runs import RunOptions
    from reconciler.config import Config
    from state import Binding, StateStore

__all__ = [
    "binding",
    "configured_store",
    "load",
    "open_client",
    "run_options",
    "settle_bound",
    "workspace",
]


def load(args: argparse.Namespace, config_flag: str | None = None) -> Config:
    """The validated configuration named by `-c` (or `config_flag`, a saved plan's); warnings go to stderr."""
    from reconciler.cli._console import Console
    from reconciler.config import load_config

    path = config_path(config_flag if config_flag is not None else args.config)
    if not path.exists():
        raise UsageError(f"configuration {path} not found; pass -c PATH (a .toml file or a folder of them)")
    config = load_config(path, os.environ)
    console = Console.from_args(args.no_color)
    for warning in config.warnings:
        console.warn(warning)
    return config


def configured_store(args: argparse.Namespace, config: Config, config_flag: str | None = None) -> StateStore:
    """The state named by `--state`, else by the configuration's `[state]` table, else the default beside it."""
    from reconciler.cli._stores import open_store, state_table

    return open_store(state_table(args.state, config_flag or args.config, config.state))


def workspace(args: argparse.Namespace, config: Config, config_flag: str | None = None) -> str:
    """The state's workspace: `[state] workspace` for a database (default: default), `default` for a file."""
    from reconciler.cli._stores import state_table

    table = state_table(args.state, config_flag or args.config, config.state)
    return (table.workspace or "default") if table.url is not None else "default"


def run_options(args: argparse.Namespace, operation: str, *, refresh: bool = True) -> RunOptions:
    """How the run treats the state, from `--lock-timeout`, `--no-refresh` and `--http-timeout`."""
    from reconciler._runs import RunOptions
    from reconciler.cli._stores import announce_lock_wait

    return RunOptions(
        lock_timeout=args.lock_timeout,
        refresh=refresh and not getattr(args, "no_refresh", False),
        bound=settle_bound(args),
        on_wait=announce_lock_wait(operation),
    )


def binding(config: Config) -> Binding:
    """What this run points at: the account and app of the configuration (or the environment), and the API."""
    from providers import DEFAULT_BASE_URL, normalize_base_url
    from state import Binding

    if not config.account_id:
        raise UsageError("no account id: set [provider] account_id in the configuration, or CLOUDFLARE_ACCOUNT_ID")
    if not config.app_id:
        raise UsageError("no app id: set [provider] app_id in the configuration, or REALTIMEKIT_APP_ID")
    api = normalize_base_url(os.environ.get("CLOUDFLARE_BASE_URL") or DEFAULT_BASE_URL)
    return Binding(account_id=config.account_id, app_id=config.app_id, api=api)


def open_client(args: argparse.Namespace, config: Config, store: StateStore | None = None) -> RealtimeKitClient:
    """The API client of this run: sends nothing until it is called. With a state in PostgreSQL, its rate budget is
    the one every run of that database shares with this token."""
    from providers import DEFAULT_BASE_URL, RealtimeKitClient
    from state import SharesRateBudget

    target = binding(config)
    token = os.environ.get("CLOUDFLARE_API_TOKEN", "")
    if not token:
        raise UsageError("set CLOUDFLARE_API_TOKEN to an API token with the Realtime Admin permission")
    base_url = target.api
    return RealtimeKitClient(
        account_id=target.account_id,
        app_id=target.app_id,
        token=token,
        base_url=base_url,
        rate=args.rate,
        # 1,200 requests per 5 minutes is Cloudflare's limit per token; another base URL (the emulator) has its own.
        max_per_window=1200 if base_url == DEFAULT_BASE_URL else None,
        timeout=args.http_timeout,
        version=__version__,
        shared_budget=store.rate_budget(token) if isinstance(store, SharesRateBudget) else None,
    )


def settle_bound(args: argparse.Namespace) -> timedelta:
    """How long after a start's intent the API may still act on the start (`reconciler._resolve.settle_bound`)."""
    from reconciler._resolve import settle_bound

    return settle_bound(args.http_timeout)
