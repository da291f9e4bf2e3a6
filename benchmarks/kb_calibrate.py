"""The data behind the KB's answer thresholds (`ANSWER_FLOOR`, `CLOSE_CALL_MARGIN`).

For each candidate floor: the share of right first answers kept (a right answer under
the floor becomes "I found nothing") on the realistic shipped-KB questions
(`tests/bot/kb_questions.yml`) and on StackFAQ dev, and the share of unrelated texts
(1,000 CLINC150 validation utterances: banking, travel, small talk, none about
software support) that would get an answer, against the shipped KB and StackFAQ's.
For each candidate margin: the share of close calls (answered with choices), how often
the right article is among the choices, and how often the confident answers are right.
The rule (docs/search.md): the highest floor that keeps every right first answer on
both sets; the margins are measured at the floor in use, for the trade-off between
close calls and confident answers.

Run: .venv/bin/python benchmarks/kb_calibrate.py
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bot.kb.index as kb_index  # noqa: E402
from bot.kb.index import TantivyKnowledgeBase, build_index  # noqa: E402
from nlu.encoder import shared_encoder  # noqa: E402

STACKFAQ = ROOT.parent / "shared" / "datasets" / "stackfaq"
CLINC_VAL = ROOT.parent / "shared" / "datasets" / "clinc150" / "val.yml"
SHIPPED_KB = ROOT / "kb_articles"
QUESTIONS = ROOT / "tests" / "bot" / "kb_questions.yml"
FLOORS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
MARGINS = (0.0, 0.02, 0.05, 0.08, 0.1, 0.15)
UNRELATED = 1000

Ranked = list[tuple[str, float]]


def shipped_questions() -> list[tuple[str, str]]:
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    return [(str(expected), str(q)) for expected, asked in data.items() for q in asked]


def stackfaq_questions() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in (STACKFAQ / "queries_dev.jsonl").open()]
    return [(row["relevant"][0], row["query"]) for row in rows]


def unrelated_texts() -> list[str]:
    data = yaml.safe_load(CLINC_VAL.read_text(encoding="utf-8"))
    texts = [
        line.strip()[2:]
        for entry in data["nlu"]
        for line in str(entry.get("examples", "")).splitlines()
        if line.strip().startswith("- ")
    ]
    random.Random(0).shuffle(texts)
    return texts[:UNRELATED]


def ranked(kb: TantivyKnowledgeBase, text: str) -> Ranked:
    return [(hit.article_id, hit.score) for hit in kb.search(text, limit=3)]


def open_kb(kb_dir: Path, workdir: Path, name: str) -> TantivyKnowledgeBase:
    encoder = shared_encoder()
    if encoder is None:
        raise SystemExit("the sentence encoder is not installed (the embeddings extra)")
    index = workdir / name / "index"
    build_index(kb_dir, index, encoder=encoder)
    return TantivyKnowledgeBase(kb_dir, index, encoder)


def floors(questions: list[tuple[str, Ranked]], unrelated: list[Ranked]) -> dict[float, object]:
    right = [hits[0][1] for expected, hits in questions if hits and hits[0][0] == expected]
    reached = [hits[0][1] for hits in unrelated if hits]
    return {
        floor: {
            "right_first_kept": round(sum(s >= floor for s in right) / len(questions), 3),
            "unrelated_answered": round(sum(s >= floor for s in reached) / len(unrelated), 3),
        }
        for floor in FLOORS
    }


def margins(questions: list[tuple[str, Ranked]], floor: float) -> dict[float, object]:
    figures = {}
    for margin in MARGINS:
        close = choices_right = confident = confident_right = 0
        for expected, hits in questions:
            hits = [(i, s) for i, s in hits if s >= floor]
            if not hits:
                continue
            if len(hits) > 1 and hits[0][1] - hits[1][1] < margin:
                close += 1
                choices_right += expected in [i for i, _ in hits]
            else:
                confident += 1
                confident_right += hits[0][0] == expected
        figures[margin] = {
            "close_calls": round(close / len(questions), 3),
            "right_among_choices": round(choices_right / close, 3) if close else None,
            "confident_right": round(confident_right / confident, 3) if confident else None,
        }
    return figures


def main() -> int:
    in_use = kb_index.ANSWER_FLOOR  # the floor the margins are measured at
    kb_index.ANSWER_FLOOR = -10.0  # every hit, to see the scores the floor would cut
    unrelated_texts_ = unrelated_texts()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, kb_dir, questions in (
            ("shipped", SHIPPED_KB, shipped_questions()),
            ("stackfaq", STACKFAQ / "kb", stackfaq_questions()),
        ):
            kb = open_kb(kb_dir, Path(workdir), name)
            asked = [(expected, ranked(kb, q)) for expected, q in questions]
            unrelated = [ranked(kb, text) for text in unrelated_texts_]
            results[name] = {
                "n": len(questions),
                "floors": floors(asked, unrelated),
                "margins": margins(asked, in_use),
            }
    for name, figures in results.items():
        data = figures  # type: ignore[assignment]
        print(f"== {name} (n={data['n']}): floor -> right first kept / unrelated answered")
        for floor, f in data["floors"].items():
            print(f"  {floor:.2f}: {f['right_first_kept']:.3f} / {f['unrelated_answered']:.3f}")
        print(f"  margins at the {in_use} floor: close calls / right among choices / confident")
        for margin, f in data["margins"].items():
            print(
                f"    {margin:.2f}: {f['close_calls']} / {f['right_among_choices']} / "
                f"{f['confident_right']}"
            )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
