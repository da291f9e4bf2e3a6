"""`tier0 kb index | search | eval | lint`: the knowledge base from the command line.

`--kb DIR` names the KB and `--data-dir` where its index lives, as for every command,
so an editor can index and query any KB (a draft, a benchmark's) beside the live one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.kb.base import SearchFilters, SearchHit
from bot.settings import Settings, SettingsError


def add_kb_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    kb = commands.add_parser("kb", help="knowledge-base tools")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    kb_commands.add_parser("lint", parents=[common], help="check every article")
    index = kb_commands.add_parser("index", parents=[common], help="build the search index")
    index.add_argument("--rebuild", action="store_true", help="rebuild even if up to date")
    search = kb_commands.add_parser("search", parents=[common], help="search the KB")
    search.add_argument("query", nargs="+")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--json", action="store_true", help="one JSON object on stdout")
    search.add_argument("--lexical-only", action="store_true", help="BM25 alone, no vectors")
    search.add_argument("--category", help="only articles of this category")
    search.add_argument("--product", help="only articles for this product (or for all)")
    search.add_argument("--version", help="only articles for this version (or for all)")
    evaluate = kb_commands.add_parser(
        "eval", parents=[common], help="recall@1, recall@5 and MRR@10 on labelled queries"
    )
    evaluate.add_argument("--queries", type=Path, required=True, help="JSON lines file")
    evaluate.add_argument("--json", action="store_true", help="one JSON object on stdout")
    evaluate.add_argument("--lexical-only", action="store_true", help="BM25 alone, no vectors")


def run_kb_command(args: argparse.Namespace, settings: Settings) -> int:
    commands = {"lint": _lint, "index": _index, "search": _search, "eval": _eval}
    return commands[args.kb_command](args, settings)


def _require_kb(settings: Settings) -> None:
    if not settings.kb_dir.is_dir():
        raise SettingsError(f"--kb: {settings.kb_dir} is not a directory")


def _lint(args: argparse.Namespace, settings: Settings) -> int:
    from bot.kb.lint import lint

    _require_kb(settings)
    problems = lint(settings.kb_dir)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    print(f"{errors} error(s), {len(problems) - errors} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _index(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import ensure_index

    _require_kb(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    print(f"indexing {settings.kb_dir} …", file=sys.stderr)

    def progress(message: str) -> None:
        print(f"… {message}", file=sys.stderr, flush=True)

    report = ensure_index(settings, force=getattr(args, "rebuild", False), progress=progress)
    for problem in report.errors:
        print(f"skipped {problem}", file=sys.stderr)
    state = f"built in {report.seconds:.2f}s" if report.rebuilt else "already up to date"
    print(f"{report.articles} articles indexed in {settings.index_dir} ({state})")
    return 0


def _open(settings: Settings, lexical_only: bool = False) -> Any:
    """The KB's search, indexing it first if the index is missing or stale."""
    from bot.app import ensure_index
    from bot.kb.index import TantivyKnowledgeBase
    from nlu.encoder import shared_encoder

    _require_kb(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_index(settings)
    encoder = None if lexical_only else shared_encoder()
    return TantivyKnowledgeBase(settings.kb_dir, settings.index_dir, encoder)


def _search(args: argparse.Namespace, settings: Settings) -> int:
    kb = _open(settings, args.lexical_only)
    query = " ".join(args.query)
    filters = SearchFilters(args.category, args.product, args.version)
    hits = kb.search(query, limit=max(1, args.limit), filters=filters)
    if args.json:
        rows = [_hit_json(hit) for hit in hits]
        suggestion = kb.did_you_mean(query)
        result = {"query": query, "did_you_mean": suggestion, "semantic": kb.semantic}
        print(json.dumps({**result, "hits": rows}))
        return 0
    suggestion = kb.did_you_mean(query)
    if suggestion is not None:
        print(f'did you mean "{suggestion}"?')
    if not hits:
        print("no matching article")
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. {hit.title}  [{hit.article_id}]  {hit.score:.3f}")
        if hit.snippet and hit.snippet.text:
            print(f"   {hit.snippet.marked()}")
    return 0


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    snippet = hit.snippet
    return {
        "article_id": hit.article_id,
        "title": hit.title,
        "score": round(hit.score, 4),
        "close_call": hit.close_to_next,
        "snippet": snippet.text if snippet else "",
        "highlights": [list(span) for span in snippet.highlights] if snippet else [],
    }


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.kb.evaluation import evaluate, read_queries

    queries = read_queries(args.queries)
    scores = evaluate(_open(settings, args.lexical_only), queries)
    if args.json:
        print(json.dumps(scores.to_json()))
    else:
        print(
            f"recall@1 {scores.recall_at_1:.3f}, recall@5 {scores.recall_at_5:.3f}, "
            f"MRR@10 {scores.mrr_at_10:.3f} over {scores.n} queries"
        )
    return 0
