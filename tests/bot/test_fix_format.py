"""The guided-fix format: parsing, and what `tier0 kb lint` reports, with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb.articles import parse_article
from bot.kb.collect_formats import read_answer
from bot.kb.fixes import CHECK, COLLECT, ESCALATE, OUTCOME, STEP, Target, parse_target
from bot.kb.lint import lint

HEAD = "---\ntitle: Example\ncategory: troubleshooting\nsummary: An example.\n---\nBody.\n\n"


def write(tmp_path: Path, fix: str) -> Path:
    path = tmp_path / "example.md"
    path.write_text(HEAD + "## Guided fix\n\n" + fix)
    return path


def problems(tmp_path: Path, fix: str) -> list[str]:
    write(tmp_path, fix)
    return [str(p).split(": ", 1)[1] for p in lint(tmp_path) if p.severity == "error"]


def line_of(tmp_path: Path, fix: str, text: str) -> int:
    return (HEAD + "## Guided fix\n\n" + fix).splitlines().index(text) + 1


BRANCHING = """\
### Which error? {#which}
Look at the log.

Ask: What does it say?
- Address in use → #port
- Permission denied -> #perms
- Something else => escalate tier 3 P2

### Free the port {#port}
Stop the other program.

Then: #done

### Fix permissions {#perms}
Run `chown`.

Collect: version
Format: version
Ask: Which version runs?
Then: #done

### Done {#done}
All good.

Outcome: resolved
"""


def test_a_branching_fix_parses_into_kinds_targets_and_lines(tmp_path: Path) -> None:
    article = parse_article(write(tmp_path, BRANCHING))
    fix = article.guided_fix
    assert fix is not None and fix.runnable, fix
    which, port, perms, done = fix.steps
    assert [s.id for s in fix.steps] == ["which", "port", "perms", "done"]
    assert which.kind == CHECK and which.question == "What does it say?"
    assert [(b.label, str(b.target)) for b in which.branches] == [
        ("Address in use", "#port"),
        ("Permission denied", "#perms"),
        ("Something else", "escalate tier 3 P2"),
    ]
    assert which.branches[0].line == line_of(tmp_path, BRANCHING, "- Address in use → #port")
    assert "Ask:" not in which.body and which.body == "Look at the log."
    assert port.then == Target(STEP, "done") and port.body == "Stop the other program."
    assert perms.kind == COLLECT and perms.collect == "version" and perms.format == "version"
    assert done.kind == OUTCOME and done.outcome == Target("resolved")


def test_control_lines_inside_code_blocks_are_instructions(tmp_path: Path) -> None:
    fix = "### Show the config\nRun:\n\n```\nAsk: not a question\n- a → #b\n```\n"
    article = parse_article(write(tmp_path, fix))
    assert article.guided_fix is not None and article.guided_fix.runnable
    assert "Ask: not a question" in article.guided_fix.steps[0].body


def test_menu_arrows_in_a_plain_list_are_not_answers(tmp_path: Path) -> None:
    fix = "### Update\n- Choose **Help → Check for updates**\n- Install it\n\n### Restart\nDo.\n"
    article = parse_article(write(tmp_path, fix))
    assert article.guided_fix is not None and article.guided_fix.runnable
    assert "Help → Check for updates" in article.guided_fix.steps[0].body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#restart", Target(STEP, "restart")),
        ("next", Target("next")),
        ("resolved", Target("resolved")),
        ("escalate", Target(ESCALATE)),
        ("escalate to tier 2", Target(ESCALATE, tier=2)),
        ("escalate tier 3, P1", Target(ESCALATE, tier=3, priority="P1")),
        ("escalate P4", Target(ESCALATE, priority="P4")),
    ],
)
def test_targets(text: str, expected: Target) -> None:
    assert parse_target(text.replace("tier ", "tier")) == expected


@pytest.mark.parametrize(
    "text", ["somewhere", "#Bad Id", "escalate tier 7", "escalate P9", "", "resolved now"]
)
def test_bad_targets_say_why(text: str) -> None:
    assert isinstance(parse_target(text), str)


def test_lint_reports_unknown_targets_with_file_and_line(tmp_path: Path) -> None:
    fix = "### First {#a}\nDo it.\n\nAsk: Worked?\n- Yes → #b\n- No → #nowhere\n\n### B {#b}\nX.\n"
    found = lint(tmp_path) if write(tmp_path, fix) else []
    [problem] = [p for p in found if "unknown step" in p.message]
    assert problem.path.name == "example.md"
    assert problem.line == line_of(tmp_path, fix, "- No → #nowhere")
    assert "#nowhere" in problem.message and "#a, #b" in problem.message


def test_lint_reports_unreachable_steps(tmp_path: Path) -> None:
    fix = "### A {#a}\nDo.\n\nThen: #c\n\n### B {#b}\nNever shown.\n\n### C {#c}\nDo.\n"
    write(tmp_path, fix)
    [problem] = [p for p in lint(tmp_path) if "cannot be reached" in p.message]
    assert "'B'" in problem.message and problem.line == line_of(tmp_path, fix, "### B {#b}")


def test_lint_reports_a_loop_without_an_exit(tmp_path: Path) -> None:
    fix = (
        "### A {#a}\nLook.\n\nAsk: Which?\n- One → #b\n- Two → #b\n\n"
        "### B {#b}\nLook again.\n\nAsk: Which now?\n- One → #a\n- Two → #a\n"
    )
    assert any("loop without an exit" in p for p in problems(tmp_path, fix))
    article = parse_article(tmp_path / "example.md")
    assert article.guided_fix is not None and not article.guided_fix.runnable


def test_a_loop_with_an_exit_is_fine(tmp_path: Path) -> None:
    fix = (
        "### A {#a}\nLook.\n\nAsk: Which?\n- One → #b\n- Done → resolved\n\n"
        "### B {#b}\nLook again.\n\nAsk: Which now?\n- One → #a\n- Two → #a\n"
    )
    assert problems(tmp_path, fix) == []


@pytest.mark.parametrize(
    ("fix", "message"),
    [
        ("### A\nLook.\n\nAsk: Which?\n- Only → resolved\n", "at least two answers"),
        ("### A\nLook.\n\nAsk: Which?\n- One\n- Two → resolved\n", "has no target"),
        ("### A\nLook.\n\nAsk: Which?\n- One → x\n- Two → resolved\n", "unknown target"),
        ("### A\nL.\n\nAsk: W?\n- One → next\n- one → resolved\n", "listed twice"),
        ("### A\nL.\n\nCollect: version\nFormat: colour\n", "unknown format 'colour'"),
        ("### A\nL.\n\nCollect: v\nPattern: ([a-\n", "not a valid regular expression"),
        ("### A\nL.\n\nCollect: The Version\n", "needs a name"),
        ("### A\nL.\n\nFormat: version\n", "needs a 'Collect:' line"),
        ("### A\nL.\n\nOutcome: resolved\nAsk: Why?\n", "an outcome step ends the fix"),
        ("### A\nL.\n\nOutcome: #b\n\n### B\nX.\n", "an outcome is 'resolved' or 'escalate"),
        ("### A {#x}\nL.\n\n### B {#x}\nM.\n", "is also used on line"),
        ("### A {#Bad}\nL.\n", "must be lowercase"),
        ("### A\n\n### B\nX.\n", "has no instructions"),
        ("### A\nL.\n\nAsk: W?\n- a → next\n- b → resolved\nThen: next\n", "not 'Then:'"),
    ],
)
def test_lint_messages(tmp_path: Path, fix: str, message: str) -> None:
    found = problems(tmp_path, fix)
    assert any(message in p for p in found), found


def test_shipped_fixes_branch_and_collect() -> None:
    from tests.conftest import KB_DIR

    kinds = set()
    for path in KB_DIR.glob("*.md"):
        fix = parse_article(path).guided_fix
        if fix is not None:
            assert fix.runnable, (path, fix.problems)
            kinds |= {s.kind for s in fix.steps}
    assert kinds == {"action", CHECK, COLLECT, OUTCOME}


@pytest.mark.parametrize(
    ("text", "fmt", "value"),
    [
        ("it says Python 3.10.12", "version", "3.10.12"),
        ("no idea", "version", None),
        ("Ubuntu 22.04", "os", "linux"),
        ("my macbook", "os", "macos"),
        ("the toaster", "os", None),
        ("see https://example.com/x.", "url", "https://example.com/x"),
        ("example.com", "url", None),
        ("javascript:alert(1)", "url", None),
        ("8000", "number", "8000"),
        ("eight", "number", None),
        ("Ana@Example.com", "email", "ana@example.com"),
        ("error 0x80070005 again", "error_code", "0x80070005"),
        ("   ", "text", None),
    ],
)
def test_collect_formats(text: str, fmt: str, value: str | None) -> None:
    assert read_answer(text, fmt, None) == value


def test_a_pattern_narrows_a_format() -> None:
    assert read_answer("3.12.1", "version", r"^3\.1[1-3]") == "3.12.1"
    assert read_answer("3.10.1", "version", r"^3\.1[1-3]") is None


def test_answers_may_follow_format_and_pattern_lines(tmp_path: Path) -> None:
    fix = (
        "### Which system? {#os}\nIt matters.\n\nCollect: os\nFormat: os\n"
        "- Linux → #linux\n- Windows → escalate tier 2\n\n### Linux {#linux}\nDo it.\n"
    )
    article = parse_article(write(tmp_path, fix))
    assert article.guided_fix is not None and article.guided_fix.runnable
    assert [b.label for b in article.guided_fix.steps[0].branches] == ["Linux", "Windows"]


def test_an_answer_outside_a_question_is_reported(tmp_path: Path) -> None:
    fix = "### A {#a}\nDo it.\n\n- Yes → #b\n\n### B {#b}\nX.\n"
    assert any("looks like an answer" in p for p in problems(tmp_path, fix))


def test_a_no_loop_among_actions_is_a_warning_and_still_runs(tmp_path: Path) -> None:
    fix = "### A {#a}\nDo it.\n\n### B {#b}\nDo that.\n\nThen: #a\n"
    write(tmp_path, fix)
    [problem] = lint(tmp_path)
    assert problem.severity == "warning" and "goes round 'A', 'B' for ever" in problem.message
    article = parse_article(tmp_path / "example.md")
    assert article.guided_fix is not None and article.guided_fix.runnable


def test_a_broken_step_is_reported_alone_without_follow_on_errors(tmp_path: Path) -> None:
    fix = (
        "### A {#a}\nLook.\n\nAsk: Which?\n- One → #b\n- Two → #c\n\n"
        "### B {#b}\nX.\n\nOutcome: escalated\n\n### C {#c}\nY.\n"
    )
    found = problems(tmp_path, fix)
    assert found == ["'Outcome:' takes resolved or escalate [tier N] [Pn], got 'escalated'"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("escalate tier 4 P9", "'escalate tier 4 P9': the tier is 1, 2 or 3"),
        ("escalate P2 P3", "give the tier and the priority once each"),
        ("escalate tier 2 soon", "escalate takes 'tier 1'-'tier 3'"),
    ],
)
def test_escalation_messages_quote_the_text_as_written(text: str, message: str) -> None:
    reason = parse_target(text)
    assert isinstance(reason, str) and message in reason


def test_prose_starting_with_then_gets_a_hint(tmp_path: Path) -> None:
    found = problems(tmp_path, "### A\nDo it.\n\nThen: click Connect again.\n")
    assert any("a line starting 'Then:' is a control line" in p for p in found)
