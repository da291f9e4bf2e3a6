"""How the NLU pipeline does on CLINC150 (validation split): a sanity check, not a target.

Trains the real pipeline (`nlu.model.train`, threshold chosen by cross-validation) on
`train.yml`, parses every message of `val.yml` through `NluModel.parse`, and prints
in-scope accuracy and out-of-scope recall, both at the chosen threshold and with the
`out_of_scope` class alone (threshold 0, how the published "OOS as a class" figures are
measured), plus training time, parse latency and the process's peak memory.

Run: .venv/bin/python benchmarks/nlu_clinc150.py [--data ../shared/datasets/clinc150]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.model import NluModel, load, train  # noqa: E402
from nlu.training_data import load_training_data  # noqa: E402
from nlu.types import OUT_OF_SCOPE  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "clinc150"
PUBLISHED = "published (test split): SVM 91.0/14.5, Rasa 91.5/45.3, BERT 96.2/52.3 (threshold)"


def score(model: NluModel, examples: list[tuple[str, str]]) -> tuple[float, float, list[float]]:
    """In-scope accuracy, out-of-scope recall, and per-message parse seconds."""
    correct = in_scope = caught = out_of_scope = 0
    latencies = []
    for text, label in examples:
        started = time.perf_counter()
        intent = model.parse(text).intent
        latencies.append(time.perf_counter() - started)
        if label == OUT_OF_SCOPE:
            out_of_scope += 1
            caught += intent == OUT_OF_SCOPE
        else:
            in_scope += 1
            correct += intent == label
    return correct / in_scope, caught / max(out_of_scope, 1), latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    val = load_training_data(args.data / "val.yml")
    examples = [(example.text, example.intent) for example in val.examples]
    with tempfile.TemporaryDirectory() as workdir:
        report = train([args.data / "train.yml"], Path(workdir) / "model")
        model = load(Path(workdir) / "model")
    print(
        f"trained {report.intents} intents from {report.examples} examples "
        f"in {report.seconds:.1f}s; threshold {report.threshold:.2f} "
        f"(cross-validated: in-scope {report.in_scope_accuracy:.3f}, "
        f"out-of-scope recall {report.out_of_scope_recall:.3f})"
    )
    accuracy, recall, latencies = score(model, examples)
    print(
        f"val, chosen threshold {model.threshold:.2f}: "
        f"in-scope accuracy {accuracy:.3f}, out-of-scope recall {recall:.3f}"
    )
    class_only = replace(model, classifier=replace(model.classifier, threshold=0.0))
    accuracy, recall, _ = score(class_only, examples)
    print(
        f"val, out_of_scope class only:  in-scope accuracy {accuracy:.3f}, "
        f"out-of-scope recall {recall:.3f}"
    )
    print(PUBLISHED)
    print(
        f"parse latency: median {statistics.median(latencies) * 1000:.2f} ms, "
        f"p95 {sorted(latencies)[int(0.95 * len(latencies))] * 1000:.2f} ms "
        f"over {len(latencies)} messages"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
