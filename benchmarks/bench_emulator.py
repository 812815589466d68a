"""How many requests per second the emulator sustains over keep-alive connections (target: at least 500/s).

The emulator runs as its own process (`python -m reconciler emulator`), as it does in the end-to-end tests; N
client threads each keep one HTTP/1.1 connection open and loop over a realistic mix (start a recording, read it
twice, list its meeting). Also prints the per-request latency, which shows whether a request waits on Nagle's
algorithm and a delayed ACK (~40 ms; design §8).

    .venv/bin/python benchmarks/bench_emulator.py [--threads 8] [--seconds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid

TARGET = 500.0
TOKEN = "bench-token"


def worker(port: int, stop: threading.Event, latencies: list[float], lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    base = "/client/v4/accounts/bench/realtime/kit/app/recordings"
    mine: list[float] = []

    def request(method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        began = time.perf_counter()
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        document: dict[str, object] = json.loads(response.read())
        mine.append(time.perf_counter() - began)
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {document}")
        return document

    while not stop.is_set():
        meeting_id = str(uuid.uuid4())
        started = request("POST", base, {"meeting_id": meeting_id})
        recording_id = started["data"]["id"]  # type: ignore[index]  # the API's envelope
        request("GET", f"{base}/{recording_id}")
        request("GET", f"{base}/active-recording/{meeting_id}")
        request("GET", f"{base}?meeting_id={meeting_id}&per_page=100&sort_by=invokedTime&sort_order=ASC")
    connection.close()
    with lock:
        latencies.extend(mine)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--port", "0", "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        match = re.search(r"127\.0\.0\.1:(\d+)/", server.stdout.readline())
        if match is None:
            print("the emulator did not start", file=sys.stderr)
            return 1
        port = int(match[1])
        stop, lock = threading.Event(), threading.Lock()
        latencies: list[float] = []
        threads = [
            threading.Thread(target=worker, args=(port, stop, latencies, lock), daemon=True)
            for _ in range(args.threads)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=10)

    rate = len(latencies) / elapsed
    quantiles = statistics.quantiles(latencies, n=100)
    verdict = "OK" if rate >= TARGET else "BELOW TARGET"
    print(
        f"emulator throughput: {rate:,.0f} requests/s with {args.threads} keep-alive threads (target >= {TARGET:.0f})"
    )
    print(
        f"  {len(latencies):,} requests in {elapsed:.1f} s; latency p50 {quantiles[49] * 1000:.2f} ms, "
        f"p99 {quantiles[98] * 1000:.2f} ms (a Nagle/delayed-ACK stall would show as ~40 ms)  {verdict}"
    )
    return 0 if rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
