"""The value types and option groups of the command line that are long to read and never change: parsed numbers,
and the emulator's options. Imports nothing heavy (the parser is built for `--help` too)."""

from __future__ import annotations

import argparse

__all__ = ["emulator_options", "positive_float", "positive_int", "seconds"]


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, found {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, found {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above 0, found {text}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, found {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds of 0 or more, found {text}")
    return value


def emulator_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: 127.0.0.1; requests must still name a loopback host)",
    )
    parser.add_argument("--port", type=int, default=8787, help="port (default: 8787; 0 picks a free one)")
    parser.add_argument(
        "--token",
        default=None,
        help="the one bearer token to accept (default: a random one, printed at start-up)",
    )
    parser.add_argument(
        "--speed", type=positive_float, default=1.0, help="how fast statuses advance (2 = twice as fast)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible fault injection")
    parser.add_argument("--latency", type=seconds, default=0.0, help="added latency per request, seconds")
    parser.add_argument(
        "--fault-rate",
        type=seconds,
        default=0.0,
        help="probability (0..1) that a request meets one of the enabled faults",
    )
    parser.add_argument(
        "--faults",
        default="",
        help="comma-separated faults to inject, sharing --fault-rate, or each with its own rate (429=0.05): "
        "429,5xx-before,5xx-after,drop-after,latency-spike",
    )
    parser.add_argument(
        "--rps-limit", type=positive_float, default=None, help="answer 429 beyond this many requests per second"
    )
    parser.add_argument(
        "--retry-after", type=seconds, default=1.0, help="seconds an injected 429 asks to wait (default: 1)"
    )
    parser.add_argument(
        "--spike-latency", type=seconds, default=2.0, help="extra seconds of a latency-spike fault (default: 2)"
    )
    parser.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="run the emulator's clock this far from the real one (negative: behind), as an API with a skewed clock",
    )
    parser.add_argument(
        "--app",
        action="append",
        default=None,
        metavar="APP_ID",
        help="serve only this app id (repeatable); other app ids get 404 (default: any app id)",
    )
