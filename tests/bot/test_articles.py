from __future__ import annotations

from pathlib import Path

import pytest

from bot.kb.articles import ArticleError, load_articles, parse_article
from bot.kb.lint import lint

GOOD = """---
title: Reset your password
category: howto
tags: [password, login, sign in]
summary: How to reset a forgotten password.
---
Intro paragraph with a [link](other.md).

## Guided fix

### Open the sign-in page
Go to the page.

```
### not a step, inside code
```

### Click "Forgot password"
Follow the email.
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def test_parse_article_with_guided_fix(tmp_path: Path) -> None:
    article = parse_article(write(tmp_path, "reset-password.md", GOOD))
    assert article.id == "reset-password"
    assert article.title == "Reset your password"
    assert article.tags == ("password", "login", "sign in")
    assert article.summary == "How to reset a forgotten password."
    assert article.guided_fix is not None
    assert [s.title for s in article.guided_fix.steps] == [
        "Open the sign-in page",
        'Click "Forgot password"',
    ]
    assert "not a step" in article.guided_fix.steps[0].body
    assert article.links[0].target_id == "other" and article.links[0].line == 7


def test_summary_defaults_to_first_paragraph(tmp_path: Path) -> None:
    article = parse_article(write(tmp_path, "a.md", "---\ntitle: A\n---\n# A\n\nFirst *para*.\n"))
    assert article.summary == "First para."


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("no front matter\n", 1, "missing YAML front matter"),
        ("---\ntitle: A\n", 1, "not closed"),
        ("---\ntitle: [unclosed\n---\nbody\n", 2, "invalid YAML"),
        ("---\ntitle: a\nfoo: b: c\n---\n", 3, "invalid YAML"),
        ("---\ncategory: howto\n---\nbody\n", 2, "missing 'title'"),
        ("---\ntitle: A\ncategory: recipes\n---\n", 3, "category 'recipes' is not one of"),
        ("---\ntitle: A\ntags: {a: 1}\n---\n", 3, "'tags' must be a list"),
        ("---\ntitle: A\nid: Bad Id\n---\n", 3, "must be lowercase"),
        ("---\n- a list\n---\n", 2, "must be a mapping"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, "bad.md", text)
    with pytest.raises(ArticleError) as caught:
        parse_article(path)
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_bad_file_never_stops_loading_and_lint_reports_everything(tmp_path: Path) -> None:
    write(tmp_path, "good.md", GOOD.replace("other.md", "second.md"))
    write(
        tmp_path,
        "second.md",
        "---\ntitle: Second\ncolour: red\nrelated: [ghost]\n---\nSee [x](nowhere.md)\n",
    )
    write(tmp_path, "broken.md", "---\ntitle: [\n---\n")
    write(tmp_path, "z-dupe.md", "---\ntitle: Dupe\nid: good\n---\nx\n")
    loaded = load_articles(tmp_path)
    assert {a.id for a in loaded.articles} == {"good", "second"}
    assert len(loaded.errors) == 2
    messages = [str(p) for p in lint(tmp_path)]
    assert any("broken.md:2: invalid YAML" in m for m in messages)
    assert any("z-dupe.md:3: duplicate id 'good'" in m for m in messages)
    assert any("second.md:3: unknown field 'colour'" in m for m in messages)
    assert any("second.md:4: 'related' names unknown article 'ghost'" in m for m in messages)
    assert any("second.md:6: broken link: no article with id 'nowhere'" in m for m in messages)
    assert any("warning: no 'category'" in m for m in messages)


def test_empty_guided_fix_step_is_reported(tmp_path: Path) -> None:
    body = "---\ntitle: A\ncategory: faq\n---\nx\n\n## Guided fix\n\n### Empty\n\n"
    body += "### Full\nDo it.\n"
    write(tmp_path, "a.md", body)
    assert [str(p) for p in lint(tmp_path)] == [
        f"{tmp_path / 'a.md'}:9: guided-fix step 'Empty' has no instructions"
    ]


def test_sample_questions_are_read_and_lint_warns_when_two_articles_share_one(
    tmp_path: Path,
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    front = (
        "---\ntitle: {title}\ncategory: faq\nsummary: S.\n"
        "questions:\n  - {q}\n  - {other}\n---\nBody.\n"
    )
    (kb / "a.md").write_text(front.format(title="A", q="How do I log in?", other="sign in"))
    (kb / "b.md").write_text(front.format(title="B", q="how do i log in", other="reset"))
    articles = {a.id: a for a in load_articles(kb).articles}
    assert articles["a"].questions == ("How do I log in?", "sign in")
    problems = [str(p) for p in lint(kb)]
    assert problems == [
        f"{kb / 'b.md'}:5: warning: sample question 'how do i log in' is also in article 'a'"
    ]
