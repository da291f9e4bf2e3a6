"""Issue 3's NLU figures, for the default model and the TF-IDF-only baseline in one run.

CLINC150: train on `train.yml`, score `val.yml` (in-scope accuracy and out-of-scope
recall at the model's own threshold and with the `out_of_scope` class alone), training
wall time, model size on disk, load time, one-parse latency p50/p99 in process (median
of 3 rounds of 1,000 different validation texts), and the
RSS of a fresh process holding the loaded model. HINT3: 5-fold cross-validation of each
bot's train set (the test sets are held out; an intent with fewer than 5 examples is
missing from some training folds, and its held-out examples count as errors), MCC and
accuracy at the thresholds chosen inside the folds. Rasa 3.6 runs on the same HINT3
data (and, with `--rasa-clinc`, CLINC150, which takes it hours) when a `rasa` program
is found (`--rasa PATH`, or on PATH): it is never a dependency (`rasa_baseline.py`).

Run: .venv/bin/python benchmarks/nlu_bench.py [--skip-hint3] [--skip-baseline]
     [--rasa PATH] [--rasa-clinc]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.encoder import shared_encoder  # noqa: E402
from nlu.evaluation import cross_validate, predict, score  # noqa: E402
from nlu.model import load, train  # noqa: E402
from nlu.training_data import load_training_data  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rasa_baseline  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
HINT3_BOTS = ("sofmattress", "curekart", "powerplay11")
TARGETS = "targets (test split): CLINC150 >= 96.5 / 70; HINT3 MCC 0.66 / 0.63 / 0.45"
PUBLISHED = "published (test split): Rasa 91.5/45.3, BERT 96.9/40.3, BERT+threshold 96.2/52.3"
RSS_PROBE = """
import resource, sys, time
from pathlib import Path
started = time.perf_counter()
from nlu.model import load
model = load(Path(sys.argv[1]))
model.parse("warm up")
seconds = time.perf_counter() - started
rss = [l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]
print(int(rss) / 1024, seconds)
"""


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def parse_latencies(model: object, texts: list[str], rounds: int = 3) -> tuple[float, float]:
    """Median over `rounds` of the p50 and p99 of one parse, each round 1,000 texts.

    Every round parses different texts: the encoder remembers recent texts, and a
    repeated one would measure the cache, not a parse.
    """
    p50s, p99s = [], []
    for start in range(0, rounds * 1000, 1000):
        latencies = []
        for text in texts[start : start + 1000]:
            started = time.perf_counter()
            model.parse(text)  # type: ignore[attr-defined]
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        p50s.append(statistics.median(latencies))
        p99s.append(latencies[int(0.99 * len(latencies)) - 1])
    return statistics.median(p50s), statistics.median(p99s)


def clinc(use_encoder: bool, workdir: Path) -> dict[str, float]:
    model_dir = workdir / f"clinc-{'hybrid' if use_encoder else 'lexical'}"
    report = train([DATASETS / "clinc150" / "train.yml"], model_dir, use_encoder=use_encoder)
    val = load_training_data([DATASETS / "clinc150" / "val.yml"])
    texts = [e.text for e in val.examples]
    truth = [e.intent for e in val.examples]
    model = load(model_dir)
    own = score(truth, predict(model.classifier, texts), model.threshold)
    class_only = load(model_dir, threshold=0.0)
    as_class = score(truth, predict(class_only.classifier, texts), 0.0)
    p50s, p99s = parse_latencies(model, texts)
    probe = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(model_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rss, load_seconds = map(float, probe.stdout.split())
    return {
        "train_s": report.seconds,
        "threshold": model.threshold,
        "in_scope": own.in_scope_accuracy or 0.0,
        "oos_recall": own.oos_recall or 0.0,
        "class_in_scope": as_class.in_scope_accuracy or 0.0,
        "class_oos_recall": as_class.oos_recall or 0.0,
        "size_mb": directory_mb(model_dir),
        "load_s": load_seconds,
        "rss_mb": rss,
        "p50_ms": p50s,
        "p99_ms": p99s,
    }


def hint3(use_encoder: bool) -> dict[str, dict[str, float]]:
    encoder = shared_encoder() if use_encoder else None
    results = {}
    for bot in HINT3_BOTS:
        data = load_training_data([DATASETS / "hint3" / f"{bot}_train.yml"])
        texts = [e.text for e in data.examples]
        labels = [e.intent for e in data.examples]
        folds = 5
        started = time.perf_counter()
        scores, _ = cross_validate(texts, labels, folds, encoder=encoder)
        results[bot] = {
            "mcc": scores.mcc,
            "accuracy": scores.accuracy,
            "threshold": scores.threshold,
            "folds": folds,
            "seconds": time.perf_counter() - started,
        }
    return results


def rasa(executable: str, with_clinc: bool, workdir: Path) -> dict[str, dict[str, float]]:
    """Rasa's default pipeline on the same data, by the same protocol where it can."""
    runs = {}
    for bot in HINT3_BOTS:
        data = DATASETS / "hint3" / f"{bot}_train.yml"
        runs[f"HINT3 {bot} 5-fold CV"] = rasa_baseline.cross_validate(
            executable, data, 5, workdir / bot
        )
    if with_clinc:
        clinc_dir = DATASETS / "clinc150"
        runs["CLINC150 val"] = rasa_baseline.train_and_test(
            executable, clinc_dir / "train.yml", clinc_dir / "val.yml", workdir / "clinc"
        )
    return {
        name: {
            "mcc": run.scores.mcc,
            "accuracy": run.scores.accuracy,
            "in_scope": run.scores.in_scope_accuracy,
            "oos_recall": run.scores.oos_recall,
            "seconds": run.seconds,
            "peak_rss_mb": run.peak_rss_mb,
        }
        for name, run in runs.items()
    }


def print_rasa(figures: dict[str, dict[str, float]]) -> None:
    print("== Rasa 3.6 (default pipeline, fallback threshold 0.3)")
    for name, r in figures.items():
        in_scope = "" if r["in_scope"] is None else f", in-scope {r['in_scope'] * 100:.1f} %"
        recall = (
            ""
            if r["oos_recall"] is None
            else f", out-of-scope recall {r['oos_recall'] * 100:.1f} %"
        )
        print(
            f"{name}: MCC {r['mcc']:.3f}, accuracy {r['accuracy']:.3f}{in_scope}{recall} "
            f"({r['seconds']:.0f} s, peak RSS {r['peak_rss_mb']:.0f} MB)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-hint3", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--rasa", default=shutil.which("rasa"), help="a Rasa 3.6 executable")
    parser.add_argument("--rasa-clinc", action="store_true", help="also CLINC150 (hours)")
    args = parser.parse_args()
    variants = [("hybrid (default)", True)]
    if not args.skip_baseline:
        variants.append(("TF-IDF only", False))
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, use_encoder in variants:
            results[name] = {"clinc": clinc(use_encoder, Path(workdir))}
            if not args.skip_hint3:
                results[name]["hint3"] = hint3(use_encoder)
        if args.rasa:
            results["rasa"] = rasa(args.rasa, args.rasa_clinc, Path(workdir) / "rasa")
    rasa_figures = results.pop("rasa", None)
    for name, figures in results.items():
        c = figures["clinc"]
        print(f"== {name}")
        print(
            f"CLINC150 val at own threshold {c['threshold']:.2f}: in-scope "
            f"{c['in_scope'] * 100:.1f} %, out-of-scope recall {c['oos_recall'] * 100:.1f} %; "
            f"out_of_scope class only: {c['class_in_scope'] * 100:.1f} % / "
            f"{c['class_oos_recall'] * 100:.1f} %"
        )
        print(
            f"CLINC150 training {c['train_s']:.1f} s wall; model {c['size_mb']:.1f} MB on disk; "
            f"load {c['load_s']:.2f} s; loaded model RSS {c['rss_mb']:.0f} MB; "
            f"parse p50 {c['p50_ms']:.2f} ms, p99 {c['p99_ms']:.2f} ms"
        )
        for bot, h in figures.get("hint3", {}).items():
            print(
                f"HINT3 {bot} {h['folds']}-fold CV: MCC {h['mcc']:.3f}, "
                f"accuracy {h['accuracy']:.3f} "
                f"(threshold {h['threshold']:.2f}, {h['seconds']:.0f} s)"
            )
    if len(results) == 2:
        hybrid, lexical = (results[name]["clinc"] for name, _ in variants)
        print(
            f"ratios hybrid/TF-IDF: training {hybrid['train_s'] / lexical['train_s']:.1f}x, "
            f"parse p50 {hybrid['p50_ms'] / lexical['p50_ms']:.1f}x, "
            f"RSS {hybrid['rss_mb'] / lexical['rss_mb']:.1f}x"
        )
    if rasa_figures is not None:
        print_rasa(rasa_figures)
        results["rasa"] = rasa_figures
    else:
        print("Rasa: no `rasa` program found (--rasa PATH), skipped")
    print(TARGETS)
    print(PUBLISHED)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
