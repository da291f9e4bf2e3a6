"""Cold start to a healthy server, warm start, per-turn latency and memory of `tier0 serve`.

Issue 2's target: GET /healthz answers 200 within 10 s of the server starting on a
fresh machine (which includes migrating, indexing the KB and training the model).
Run: .venv/bin/python benchmarks/startup_and_turns.py [--turns 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.drivers import http_json  # noqa: E402
from tests.e2e.conftest import start_server  # noqa: E402

TARGET_COLD_START = 10.0
MESSAGES = [
    {"text": "How do I install Tier0 on Windows?"},
    {"choice": "yes"},
    {"text": "The tier0 server won't start"},
    {"choice": "no"},
    {"text": "what's the status of ticket 1"},
    {"text": "how do I back up the database"},
    {"choice": "no"},
    {"choice": "no"},
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(turns: int, workdir: Path) -> dict[str, float]:
    data_dir = workdir / "data"
    db = f"sqlite:///{data_dir / 'tier0.db'}"
    cold = start_server(data_dir, db, workdir)
    cold.stop()
    warm = start_server(data_dir, db, workdir)
    latencies = []
    try:
        status, created = http_json("POST", f"{warm.url}/api/v1/conversations")
        conversation = created["id"]
        for number in range(turns):
            message = MESSAGES[number % len(MESSAGES)]
            started = time.perf_counter()
            status, body = http_json(
                "POST", f"{warm.url}/api/v1/conversations/{conversation}/messages", message
            )
            latencies.append((time.perf_counter() - started) * 1000)
            if status == 422:  # a choice no longer on offer after a different path: fine
                continue
            assert status == 200, body
        memory = rss_mb(warm.process.pid)
    finally:
        warm.stop()
    return {
        "cold": cold.started_in,
        "warm": warm.started_in,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "rss": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as workdir:
            results.append(measure(args.turns, Path(workdir)))
    median = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print(f"runs: {args.runs}, turns per run: {args.turns} (SQLite, 1 client)")
    print(
        f"cold start to healthy (migrate + index + train): median {median['cold']:.2f} s "
        f"= {median['cold'] / TARGET_COLD_START:.2f} of the {TARGET_COLD_START:.0f} s target"
    )
    print(f"warm start to healthy: median {median['warm']:.2f} s")
    print(f"turn latency over HTTP: p50 {median['p50']:.1f} ms, p99 {median['p99']:.1f} ms")
    print(f"server RSS after the turns: {median['rss']:.0f} MB")


if __name__ == "__main__":
    main()
