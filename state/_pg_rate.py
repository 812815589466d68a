"""`PostgresRateBudget`: the request budget that runs sharing a database and an API token draw from (design §6.5).

Cloudflare limits requests per token: N runners, each at `--rate`, would together send N times the rate, and one
breach blocks every call of that token for five minutes. So the runs of a database share one budget per token, kept
in `<schema>.rate_budgets`: a GCRA on the database's clock, one statement a request, that hands out the next slot
(one every 1/rate seconds) to whichever run asks. Only a salted digest of the token is stored; the salt is the
database's own (in `<schema>.meta`), so every run of it finds the same row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

__all__ = ["PostgresRateBudget", "token_digest"]

_RESERVE = """
INSERT INTO {0}.rate_budgets AS budget VALUES (%(digest)s, extract(epoch FROM clock_timestamp()) + %(interval)s)
ON CONFLICT (token_digest) DO UPDATE
    SET tat = greatest(budget.tat, extract(epoch FROM clock_timestamp())) + %(interval)s
RETURNING tat - %(interval)s - extract(epoch FROM clock_timestamp())
"""
_SALT = """
INSERT INTO {0}.meta VALUES ('token_salt', %s) ON CONFLICT (key) DO NOTHING;
"""


def token_digest(connection: psycopg.Connection[Any], schema: str, token: str) -> str:
    """The digest under which `token`'s budget is kept: an HMAC keyed by the database's own salt."""
    name = sql.Identifier(schema)
    connection.execute(sql.SQL(_SALT).format(name), (secrets.token_hex(16),))
    row = connection.execute(sql.SQL("SELECT value FROM {0}.meta WHERE key = 'token_salt'").format(name)).fetchone()
    assert row is not None  # inserted just above when it was missing
    return hmac.new(str(row[0]).encode(), token.encode(), hashlib.sha256).hexdigest()


class PostgresRateBudget:
    """A `providers.SharedBudget` kept in the database; `connect` opens a new autocommit session."""

    def __init__(self, connect: Callable[[], psycopg.Connection[Any]], *, schema: str, token: str) -> None:
        self._connect = connect
        self._schema = schema
        self._guard = threading.Lock()  # the run's threads ask one after the other
        self._session = connect()
        self._digest = token_digest(self._session, schema, token)
        self._query = sql.SQL(_RESERVE).format(sql.Identifier(schema))

    def __repr__(self) -> str:
        return f"PostgresRateBudget(schema={self._schema!r})"

    def reserve(self, interval: float) -> float:
        """The wait before the next slot; when the database cannot be asked (even on a new session), one interval:
        the run keeps its own pace, and finds out about the database at its next write of the state."""
        with self._guard:
            for _ in range(2):
                try:
                    row = self._session.execute(self._query, {"digest": self._digest, "interval": interval}).fetchone()
                    return max(0.0, float(row[0])) if row is not None else 0.0
                except psycopg.Error:
                    self._session.close()
                    try:
                        self._session = self._connect()
                    except Exception:  # unreachable store: the pace below is the fallback
                        break
            return interval

    def close(self) -> None:
        with self._guard:
            self._session.close()
