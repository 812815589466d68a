"""Errors of the reconciler itself (configuration, plans, apply), as one tree.

    ReconcilerError              anything the user can act on; the CLI prints its message and exits 1
    ├── ConfigError              the configuration is invalid; `problems` lists every problem found
    ├── UsageError               a flag or argument is wrong
    ├── BindingError             the state is bound to another account, app or API than this run points at
    ├── PlanFileError            a saved plan cannot be read, or is stale (state or config changed)
    └── ApplyRefusedError        apply needs confirmation and there is no terminal to ask on

Errors of the state store (`state.StateError`) and of the API (`providers.ProviderError`) have trees of their
own; the CLI reports all three the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.config import Problem

__all__ = ["ApplyRefusedError", "BindingError", "ConfigError", "PlanFileError", "ReconcilerError", "UsageError"]


class ReconcilerError(Exception):
    """Anything the user can act on. `str(error)` is the whole message, ready to print."""


class ConfigError(ReconcilerError):
    """The configuration is invalid. `problems` holds one human line per problem, all of them; `details` the
    same problems as structured `reconciler.config.Problem`s (file, key path, line, expected, found), when the
    loader found them."""

    def __init__(self, problems: list[str], details: Sequence[Problem] = ()) -> None:
        self.problems = problems
        self.details = tuple(details)
        super().__init__("\n".join(problems))


class UsageError(ReconcilerError):
    """A flag or argument is wrong."""


class BindingError(ReconcilerError):
    """The state is bound to another account, app or API than this run points at (design §5.7): refused before
    any request, nothing changed."""


class PlanFileError(ReconcilerError):
    """A saved plan cannot be read, or is stale."""


class ApplyRefusedError(ReconcilerError):
    """Apply needs a confirmation and there is no terminal to ask on."""
