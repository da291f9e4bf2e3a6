"""The shipped sentence encoder's speed: one short text at a time, and a whole training set.

Single: p50/p99 of `encode([text])` (not `encode_one`, which caches) over 300 CLINC150
training texts (every 50th, 5-20 tokens, like a chat message), after a warm-up.
Batch: `encode` of all 15,100 CLINC150 training texts, as NLU training does. Each is
repeated (`--rounds`) and the median of the rounds is printed, since a shared 2-core
machine is noisy; the rounds are printed too.

Run: .venv/bin/python benchmarks/encoder_bench.py [--rounds 3] [--threads N] [--texts FILE]
(`--texts`: one text a line, instead of CLINC150's train.yml.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.encoder import SentenceEncoder, encoder_available  # noqa: E402
from nlu.training_data import load_training_data  # noqa: E402

CLINC_TRAIN = ROOT.parent / "shared" / "datasets" / "clinc150" / "train.yml"


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="default: the encoder's own")
    parser.add_argument("--texts", type=Path, default=None)
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    if not encoder_available():
        print("encoder unavailable: pip install 'tier0[embeddings]'")
        return 1
    if args.texts:
        texts = [line for line in args.texts.read_text().splitlines() if line.strip()]
    else:
        texts = [example.text for example in load_training_data([CLINC_TRAIN]).examples]
    started = time.perf_counter()
    encoder = SentenceEncoder(threads=args.threads)
    print(f"model {encoder.identity}, loaded in {time.perf_counter() - started:.2f} s")

    sample = texts[::50][:300]
    for text in sample[:20]:
        encoder.encode([text])
    rounds = []
    for _ in range(args.rounds):
        times = []
        for text in sample:
            start = time.perf_counter()
            encoder.encode([text])
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        rounds.append((statistics.median(times), percentile(times, 0.99)))
    p50 = statistics.median(r[0] for r in rounds)
    p99 = statistics.median(r[1] for r in rounds)
    shown = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in rounds)
    print(f"single text ({len(sample)}): p50 {p50:.2f} ms, p99 {p99:.2f} ms  (rounds: {shown})")

    if not args.skip_batch:
        seconds = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            encoder.encode(texts)
            seconds.append(time.perf_counter() - start)
        median = statistics.median(seconds)
        shown = ", ".join(f"{s:.1f}" for s in seconds)
        print(
            f"batch ({len(texts)} texts): {median:.1f} s, {len(texts) / median:.0f} texts/s"
            f"  (rounds: {shown} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
