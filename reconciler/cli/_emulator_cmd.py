"""`reconciler emulator`: serve the local RealtimeKit API in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import math
import secrets
import signal
import threading
from types import FrameType

from reconciler.cli._console import Console
from reconciler.errors import UsageError

__all__ = ["run_emulator"]


def run_emulator(args: argparse.Namespace) -> int:
    from providers.emulator import EmulatorServer, FaultConfig, is_loopback

    console = Console.from_args(args.no_color)
    # Its own token, never the environment's: a real CLOUDFLARE_API_TOKEN accepted here would let a real
    # configuration, secrets and all, be applied to a local test double by mistake.
    token = args.token or f"emulator-{secrets.token_hex(8)}"
    faults = FaultConfig(
        rates=fault_rates(args.faults, args.fault_rate),
        latency=args.latency,
        spike_latency=args.spike_latency,
        retry_after=args.retry_after,
        rps_limit=args.rps_limit,
    )
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: expected 0 to 65535, found {args.port}")
    if not math.isfinite(args.clock_offset):
        raise UsageError(f"--clock-offset: expected a number of seconds, found {args.clock_offset}")
    if not is_loopback(args.host):
        console.warn(
            f"--host {args.host} is not a loopback address: other machines can connect to the emulator. It still "
            "answers only requests addressed to 127.0.0.1, localhost or [::1] (421 otherwise) and carrying its "
            "token; keep it on 127.0.0.1 unless you tunnel to it."
        )
    try:
        server = EmulatorServer(
            args.host,
            args.port,
            token=token,
            speed=args.speed,
            seed=args.seed,
            faults=faults,
            clock_offset=args.clock_offset,
            apps=args.app,
        )
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None

    stopping = threading.Event()

    def on_sigterm(number: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    server.start()
    try:
        console.print(f"RealtimeKit emulator listening on {console.style(server.url, 'bold')} (Ctrl-C to stop)")
        console.print(f"export CLOUDFLARE_BASE_URL={server.url} CLOUDFLARE_API_TOKEN={token}")
        console.print(
            "# It accepts only this token (not a real one: never point a real configuration at it, its secrets "
            "would be stored here), on the API and on /__emulator/."
        )
        console.out.flush()
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    counters = server.emulator.counters()
    total = sum(counters["requests"].values())
    console.print(f"Stopped after {total} API requests; {counters['starts']} recordings created.")
    return 0


def fault_rates(spec: str, shared_rate: float) -> dict[str, float]:
    """`--faults` and `--fault-rate` as per-fault probabilities: plain names share `shared_rate` evenly,
    `name=rate` sets its own."""
    from providers.emulator import FAULT_KINDS

    if not 0 <= shared_rate <= 1:
        raise UsageError(f"--fault-rate: expected a probability from 0 to 1, found {shared_rate}")
    rates: dict[str, float] = {}
    shared: list[str] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, has_rate, rate_text = item.partition("=")
        if name not in FAULT_KINDS:
            raise UsageError(f"--faults: unknown fault {name!r}; known: {', '.join(FAULT_KINDS)}")
        if not has_rate:
            shared.append(name)
            continue
        try:
            rates[name] = float(rate_text)
        except ValueError:
            raise UsageError(f"--faults: expected {name}=<probability>, found {item!r}") from None
        if not 0 <= rates[name] <= 1:
            raise UsageError(f"--faults: the rate of {name} must be from 0 to 1, found {rate_text}")
    for name in shared:
        rates[name] = shared_rate / len(shared)
    if shared_rate and not shared:
        raise UsageError("--fault-rate needs --faults naming the faults to inject")
    if sum(rates.values()) > 1:
        raise UsageError("--faults: the fault rates add up to more than 1")
    return rates
