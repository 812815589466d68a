"""Reproducible fault injection: which fault, if any, the next API request meets; and the counters.

Faults (`FAULT_KINDS`):
    429            answered 429 with `retry-after`, nothing done
    5xx-before     answered 502, nothing done
    5xx-after      the request is carried out (a start DOES create its recording), then answered 500
    drop-after     the request is carried out, then the connection is closed without an answer
    latency-spike  `spike_latency` seconds of extra delay, then answered normally
    unfiltered     a list answer ignores its meeting and time filters (a broken API: the client must check
                   the meeting of every recording it is given); other calls are unaffected

A scripted fault (`script("start", "drop-after")`: the next start meets it) takes precedence over the
probabilistic ones, drawn per request from an RNG seeded with `seed` at the rates of `FaultConfig.rates`. With one
client sending requests in sequence, the same seed gives the same faults on the same requests.
"""

from __future__ import annotations

import math
import random
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "ROUTES", "FaultConfig", "FaultInjector"]

FAULT_KINDS = ("429", "5xx-before", "5xx-after", "drop-after", "latency-spike", "unfiltered")
ROUTES = ("start", "list", "get", "active", "control")


@dataclass
class FaultConfig:
    """What the emulator injects. `rates` maps a fault kind to its probability per API request (sum ≤ 1);
    `latency` is added to every API request; `rps_limit` answers 429 beyond that many requests per second."""

    rates: dict[str, float] = field(default_factory=dict)
    latency: float = 0.0
    spike_latency: float = 2.0
    retry_after: float = 1.0
    rps_limit: float | None = None

    def problems(self) -> list[str]:
        rates = self.rates
        if not isinstance(rates, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in rates.values()
        ):
            return ["rates must map fault kinds to probabilities"]
        found = [
            f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})"
            for kind in self.rates
            if kind not in FAULT_KINDS
        ]
        if any(not 0 <= rate <= 1 for rate in self.rates.values()) or sum(self.rates.values()) > 1 + 1e-9:
            found.append("fault rates must each be between 0 and 1, and add up to at most 1")
        for name in ("latency", "spike_latency", "retry_after"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                found.append(f"{name} must be a number of seconds of 0 or more")
        limit = self.rps_limit
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0):
            found.append("rps_limit must be above 0")
        return found

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FaultInjector:
    """Draws faults and keeps the counters. Not thread-safe on its own: called under the emulator's lock."""

    config: FaultConfig
    seed: int | None = None
    script: deque[tuple[str, str]] = field(default_factory=deque)
    requests: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    responses: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    created: int = 0
    _rng: random.Random = field(init=False)
    _recent: deque[float] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def reseed(self, seed: int | None) -> None:
        """Restart the fault sequence from `seed`."""
        self.seed = seed
        self._rng = random.Random(seed)

    def add_script(self, route: str, kinds: list[str]) -> None:
        """Queue faults for the next requests of `route` ("start", "list", "get", "active", "control" or "*")."""
        self.script.extend((route, kind) for kind in kinds)

    def draw(self, route: str) -> str | None:
        """The fault the next request of `route` meets, or None; counted when it fires."""
        for index, (wanted, kind) in enumerate(self.script):
            if wanted in (route, "*"):
                del self.script[index]
                self.injected[kind] += 1
                return kind
        # Always one draw per request, so the sequence of faults depends only on the seed and the request order.
        point, total = self._rng.random(), 0.0
        for kind in FAULT_KINDS:
            total += self.config.rates.get(kind, 0.0)
            if point < total:
                self.injected[kind] += 1
                return kind
        return None

    def over_limit(self, now: float) -> float | None:
        """When the requests-per-second limit is reached: how long until a request is accepted again."""
        limit = self.config.rps_limit
        if limit is None:
            return None
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= limit:
            return self._recent[0] + 1.0 - now
        self._recent.append(now)
        return None

    def counters(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "starts": self.created,
            "faults": dict(self.injected),
            "rate_limited": self.rate_limited,
            "responses": dict(self.responses),
        }

    def reset(self, config: FaultConfig) -> None:
        self.config = config
        self.script.clear()
        self.requests.clear()
        self.injected.clear()
        self.responses.clear()
        self.rate_limited = 0
        self.created = 0
        self._recent.clear()
        self._rng = random.Random(self.seed)
