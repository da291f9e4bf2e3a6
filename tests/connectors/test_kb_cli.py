"""`tier0 kb index | search | eval | lint`, run through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.cli import main
from tests.bot.test_search import make_kb


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return make_kb(tmp_path / "kb")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_prints_the_contract_fields(
    kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "queries.jsonl"
    lines = [
        {"query": "setting it up on my windows laptop", "relevant": ["install-windows"]},
        {"query": "archive everything so nothing gets lost", "relevant": ["backup"]},
        {"query": "add the bot to our slack workspace", "relevant": ["slack"]},
    ]
    queries.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    data = ["--kb", str(kb), "--data-dir", str(tmp_path / "var")]
    code, out, _ = run(capsys, "kb", "eval", *data, "--queries", str(queries), "--json")
    assert code == 0
    scores = json.loads(out)
    assert set(scores) == {"recall@1", "recall@5", "mrr@10", "n"}
    assert scores["n"] == 3 and scores["recall@5"] == 1.0
    code, out, _ = run(
        capsys, "kb", "eval", *data, "--queries", str(queries), "--json", "--lexical-only"
    )
    assert code == 0 and json.loads(out)["recall@1"] < scores["recall@1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json\n", "queries.jsonl:1: not JSON"),
        ('{"relevant": ["a"]}\n', 'queries.jsonl:1: "query" must be'),
        ('{"query": "x"}\n{"query": "y", "relevant": "a"}\n', 'queries.jsonl:1: "relevant"'),
        ("\n", "no queries"),
    ],
)
def test_a_bad_queries_file_names_the_line(
    kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(content)
    code, _, err = run(
        capsys,
        "kb",
        "eval",
        "--kb",
        str(kb),
        "--data-dir",
        str(tmp_path),
        "--queries",
        str(queries),
    )
    assert code == 1
    assert message in err and "Traceback" not in err


def test_search_and_index(kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--kb", str(kb), "--data-dir", str(tmp_path / "var")]
    code, out, _ = run(capsys, "kb", "index", *data)
    assert code == 0 and "3 articles indexed" in out
    code, out, _ = run(capsys, "kb", "search", *data, "--json", "safety", "copy", "of", "files")
    result = json.loads(out)
    assert code == 0 and result["semantic"] is True
    best = result["hits"][0]
    assert best["article_id"] == "backup"
    assert {"snippet", "highlights", "close_call", "score", "title"} <= set(best)
    code, out, _ = run(capsys, "kb", "search", *data, "--json", "--category", "faq", "backup")
    assert code == 0 and json.loads(out)["hits"] == []
    code, out, _ = run(capsys, "kb", "search", *data, "((((", "AND", "*")
    assert code == 0
    code, _, err = run(capsys, "kb", "search", "--kb", str(tmp_path / "nope"), "x")
    assert code == 2 and "not a directory" in err
