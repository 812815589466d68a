"""reconciler: keep Cloudflare RealtimeKit recordings in line with a TOML file kept in git.

The package composes `providers` (the API) and `state` (the state file) into plan, apply and refresh. Importing
it is cheap: the heavy parts are imported by the commands that need them.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
