"""`load_config`: a configuration file or folder → a validated `Config`, or a `ConfigError` with every problem.

The steps: read and check each file (`_read`), combine the files (`_merge`), build the desired set and check
the rules across fields (`_build`). What only problems need is paid for only when there are problems: lines
are looked up for what is reported (problems and warnings), and explaining an error in the models' words
(`_explain`) is imported only when there is one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic_core import ValidationError

from reconciler.config._build import build_desired
from reconciler.config._desired import SENSITIVE_PATHS, Config
from reconciler.config._merge import Merged, merge_sources
from reconciler.config._models import FILE_ADAPTER
from reconciler.config._problems import Keys, Problem, format_path
from reconciler.config._read import Source, read_source
from reconciler.config._state_table import combine_state_tables
from reconciler.errors import ConfigError

__all__ = ["PROVIDER_ENV", "config_files", "load_config"]

# [provider] keys and the environment variables that fill them when the files do not.
PROVIDER_ENV: Mapping[str, str] = {"account_id": "CLOUDFLARE_ACCOUNT_ID", "app_id": "REALTIMEKIT_APP_ID"}
_SENSITIVE = tuple((section, leaf) for section, _, leaf in (path.partition(".") for path in sorted(SENSITIVE_PATHS)))
_SENSITIVE_SECTIONS = frozenset(section for section, _ in _SENSITIVE)


def load_config(path: Path, env: Mapping[str, str], *, allow_missing_env: bool = False) -> Config:
    """The configuration at `path` (a file, or a folder whose `*.toml` files are merged), with `${env:NAME}`
    resolved from `env`, which also fills a missing `[provider]` account_id / app_id. Raises `ConfigError`
    listing every problem of every file. With `allow_missing_env` (offline checks: `validate
    --allow-missing-env`), a variable that is not set is no problem, and the values that use it are not checked;
    `Config.missing_env` names those variables. Such a configuration is for checking only: never plan with it."""
    files = _config_files(path)
    problems: list[Problem] = []
    missing: set[str] = set()
    sources = [
        source
        for file in files
        if (source := read_source(file, env, problems, missing if allow_missing_env else None)) is not None
    ]
    merged = merge_sources(sources, problems)
    provider = _provider(merged, env, files[0], problems)
    desired = build_desired(merged, problems)
    state = combine_state_tables(sources, problems)
    if problems:
        located = _located(problems, sources, files)
        raise ConfigError([problem.message for problem in located], located)
    return Config(
        files=tuple(files),
        recordings=desired.recordings,
        meeting_count=desired.meeting_count,
        account_id=provider.get("account_id"),
        app_id=provider.get("app_id"),
        state=state,
        moved=tuple(desired.moved),
        warnings=tuple(_literal_secrets(sources)),
        missing_env=tuple(sorted(missing)),
    )


def config_files(path: Path) -> list[Path]:
    """The files a configuration path stands for: every `*.toml` of a folder, sorted, or the file itself
    (none when there is nothing at `path`)."""
    if path.is_dir():
        return sorted(file for file in path.glob("*.toml") if file.is_file())
    return [path] if path.is_file() else []


def _config_files(path: Path) -> list[Path]:
    files = config_files(path)
    if files:
        return files
    if path.is_dir():
        summary = f"the configuration folder {path} holds no *.toml file"
        problem = Problem(path, (), "*.toml files", "none", summary=summary)
    else:
        summary = f"configuration {path} not found; pass -c PATH"
        problem = Problem(path, (), "a configuration file or folder", "nothing there", summary=summary)
    raise ConfigError([problem.message], [problem])


def _provider(merged: Merged, env: Mapping[str, str], file: Path, problems: list[Problem]) -> dict[str, str]:
    """The files' [provider] values, completed from the environment (checked like the files' own)."""
    from_env = {key: env[name] for key, name in PROVIDER_ENV.items() if key not in merged.provider and env.get(name)}
    try:
        FILE_ADAPTER.validate_python({"provider": from_env})
    except ValidationError as error:
        from reconciler.config._explain import from_pydantic

        for detail in error.errors(include_url=False):
            problem = from_pydantic(file, detail)
            name = PROVIDER_ENV[str(problem.keys[-1])]
            problems.append(replace(problem, hint=f"the value comes from environment variable {name}"))
    return {**merged.provider, **from_env}


def _located(problems: list[Problem], sources: list[Source], files: list[Path]) -> list[Problem]:
    """The problems with their lines, grouped by file in file order, then by line."""
    by_file = {source.file: source for source in sources}
    order = {file: index for index, file in enumerate(files)}
    located = [
        problem.at_line(by_file[problem.file].line_of(problem.keys))
        if problem.line is None and problem.keys and problem.file in by_file
        else problem
        for problem in problems
    ]
    return sorted(located, key=lambda problem: (order.get(problem.file, -1), problem.line or 0))


def _literal_secrets(sources: list[Source]) -> Iterator[str]:
    """A warning for each sensitive value written in a file rather than taken from the environment (and for a state
    URL that carries a password written in the file)."""
    for source in sources:
        state = source.document.get("state")
        url = state.get("url") if isinstance(state, dict) else None
        if isinstance(url, str) and ("state", "url") not in source.from_env and _has_password(url):
            where = f"{source.file}:{source.line_of(('state', 'url')) or '?'}"
            yield (
                f"{where}: state.url holds a password written in the file; take the URL from the environment "
                'instead: url = "${env:RECONCILER_STATE_URL}"'
            )
        for keys in _sensitive_keys(source):
            if keys not in source.from_env:
                where = f"{source.file}:{source.line_of(keys) or '?'}"
                yield (
                    f"{where}: {format_path(keys)} is a secret written in the file; take it from the environment "
                    f'instead: {keys[-1]} = "${{env:NAME}}"'
                )


def _has_password(url: str) -> bool:
    try:
        return bool(urlsplit(url).password) or "password=" in url
    except ValueError:
        return True  # unreadable: take no chance


def _sensitive_keys(source: Source) -> Iterator[Keys]:
    """The key paths of the sensitive values written in [defaults] and in recording tables."""
    document = source.document
    tables: list[tuple[Keys, Any]] = [(("defaults",), document.get("defaults"))]
    meetings = document.get("meetings")
    for meeting_key, meeting in meetings.items() if isinstance(meetings, dict) else ():
        recordings = meeting.get("recordings") if isinstance(meeting, dict) else None
        for key, table in recordings.items() if isinstance(recordings, dict) else ():
            if isinstance(table, dict) and not _SENSITIVE_SECTIONS.isdisjoint(table):
                tables.append((("meetings", meeting_key, "recordings", key), table))
    for prefix, table in tables:
        for section, leaf in _SENSITIVE:
            inner = table.get(section) if isinstance(table, dict) else None
            if isinstance(inner, dict) and isinstance(inner.get(leaf), str):
                yield (*prefix, section, leaf)
