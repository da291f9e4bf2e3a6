"""Consistency of the shipped content and docs: the KB lints clean, every intent has a
handler, every setting and CLI command is documented."""

from __future__ import annotations

from pathlib import Path

from bot.intents import ALL_INTENTS
from bot.kb.articles import load_articles
from bot.kb.lint import lint
from bot.settings import PARSERS, env_name
from connectors.cli import build_parser
from nlu.model import default_data_dir
from nlu.training_data import load_training_data
from tests.conftest import KB_DIR, ROOT

REQUIRED_INTENTS = {
    "greet",
    "goodbye",
    "thanks",
    "help",
    "bot_challenge",
    "ask_howto",
    "report_problem",
    "request_human",
    "ticket_status",
    "affirm",
    "deny",
    "out_of_scope",
}


def test_shipped_kb_lints_clean_with_enough_articles_and_fixes() -> None:
    problems = [str(p) for p in lint(KB_DIR)]
    assert problems == []
    articles = load_articles(KB_DIR).articles
    assert len(articles) >= 30
    fixes = [a for a in articles if a.guided_fix]
    assert len(fixes) >= 6
    assert all(2 <= len(a.guided_fix.steps) <= 12 for a in fixes if a.guided_fix)
    assert {a.category for a in articles} == {"installation", "troubleshooting", "howto", "faq"}
    assert all(a.summary for a in articles)


def test_every_trained_intent_has_a_handler_and_vice_versa() -> None:
    data = load_training_data([default_data_dir()])
    trained = {example.intent for example in data.examples}
    assert trained >= REQUIRED_INTENTS
    assert trained <= ALL_INTENTS, f"intents without a handler: {trained - ALL_INTENTS}"
    assert trained >= ALL_INTENTS, f"handled intents never trained: {ALL_INTENTS - trained}"
    counts = {intent: 0 for intent in trained}
    for example in data.examples:
        counts[example.intent] += 1
    assert min(counts.values()) >= 15, counts


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    missing = [env_name(key) for key in PARSERS if env_name(key) not in doc]
    assert missing == []


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, subparser in commands.items():
        nested = subparser._subparsers
        if nested is None:
            assert f"tier0 {name}" in readme
        else:
            for child in nested._group_actions[0].choices:
                assert f"tier0 {name} {child}" in readme


def test_readme_quick_start_begins_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1]
    block = quick_start.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_docs_name_every_module_of_bot_and_connectors() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    for package in ("bot", "connectors"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if path.name == "__init__.py" or "migrations" in relative.parts:
                continue
            parent = f"{relative.parent}/"
            named = str(relative) in doc or parent in doc
            assert named, f"{relative} is not in docs/architecture.md"
    assert Path(ROOT / "docs" / "kb-authoring.md").exists()
