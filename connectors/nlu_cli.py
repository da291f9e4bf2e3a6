"""`tier0 nlu ...`: train, parse, test and cross-validate NLU models on any Rasa-format data.

These work on explicit paths, not on the assistant's settings, so a KB editor or a data
scientist can evaluate a data set without a running installation. Output meant for
tools is JSON on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any


def add_nlu_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    nlu = commands.add_parser("nlu", help="train, parse, test and cross-validate NLU models")
    sub = nlu.add_subparsers(dest="nlu_command", required=True, metavar="NLU_COMMAND")

    train = sub.add_parser("train", parents=[common], help="train a model from Rasa NLU YAML")
    train.add_argument("data", nargs="+", type=Path, help="NLU YAML files or directories")
    train.add_argument("--out", type=Path, required=True, help="model directory to write")
    _model_options(train)

    parse = sub.add_parser("parse", parents=[common], help="parse one text (JSON)")
    parse.add_argument("--model", type=Path, required=True)
    parse.add_argument("--threshold", type=float, help="override the model's threshold")
    parse.add_argument("text")

    test = sub.add_parser("test", parents=[common], help="score a model on labelled data")
    test.add_argument("data", nargs="+", type=Path)
    test.add_argument("--model", type=Path, required=True)
    test.add_argument("--threshold", type=float, help="override the model's threshold")
    _report_options(test)

    cv = sub.add_parser("cross-validate", parents=[common], help="k-fold cross-validation")
    cv.add_argument("data", nargs="+", type=Path)
    cv.add_argument("--folds", type=int, default=5)
    _model_options(cv)
    _report_options(cv)


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threshold", type=float, help="fix the out-of-scope threshold")
    parser.add_argument(
        "--no-encoder", action="store_true", help="TF-IDF only, even if the encoder is installed"
    )


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--report", type=Path, help="write per-intent scores and more here")


def run_nlu_command(args: argparse.Namespace) -> int:
    commands = {
        "train": _train,
        "parse": _parse,
        "test": _test,
        "cross-validate": _cross_validate,
    }
    return commands[args.nlu_command](args)


def _progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def _train(args: argparse.Namespace) -> int:
    from nlu.model import train

    report = train(
        args.data,
        args.out,
        args.threshold,
        use_encoder=not args.no_encoder,
        progress=_progress,
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps({**asdict(report), "model": str(args.out)}, indent=2))
    return 0


def _parse(args: argparse.Namespace) -> int:
    from nlu.model import load

    model = load(args.model, args.threshold)
    parsed = model.parse(args.text)
    print(
        json.dumps(
            {
                "text": parsed.text,
                "intent": {"name": parsed.intent, "confidence": parsed.confidence},
                "intent_ranking": [asdict(score) for score in parsed.ranking],
                "entities": [asdict(entity) for entity in parsed.entities],
                "threshold": model.threshold,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


def _labelled(paths: list[Path]) -> tuple[list[str], list[str]]:
    from nlu.training_data import load_training_data

    data = load_training_data(paths)
    for warning in data.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return [e.text for e in data.examples], [e.intent for e in data.examples]


def _test(args: argparse.Namespace) -> int:
    from nlu.evaluation import predict, score
    from nlu.model import load

    model = load(args.model, args.threshold)
    texts, truth = _labelled(args.data)
    _progress(f"predicting {len(texts)} examples")
    predicted = predict(model.classifier, texts)
    scores = score(truth, predicted, model.threshold)
    return _emit(args, texts, truth, predicted, scores)


def _cross_validate(args: argparse.Namespace) -> int:
    from nlu.encoder import shared_encoder
    from nlu.evaluation import cross_validate

    texts, labels = _labelled(args.data)
    encoder = None if args.no_encoder else shared_encoder()
    _progress(f"{args.folds}-fold cross-validation of {len(texts)} examples")
    scores, predicted = cross_validate(texts, labels, args.folds, args.threshold, encoder)
    return _emit(args, texts, labels, predicted, scores)


def _emit(
    args: argparse.Namespace, texts: list[str], truth: list[str], predicted: list[str], scores: Any
) -> int:
    from nlu.evaluation import write_report

    if args.report:
        for path in write_report(args.report, texts, truth, predicted, scores):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(scores.to_json()))
    else:
        for key, value in scores.to_json().items():
            print(f"{key:18} {'-' if value is None else value}")
    return 0
