"""Article Markdown to the HTML users see: one function for the KB page, the editor's
preview and the API's preview, so the preview is exactly what will be published.

Two layers: markdown-it with raw HTML off escapes whatever HTML an author types and
refuses `javascript:` links; nh3 (ammonia) then keeps only an allow-list of tags,
attributes and URL schemes, so a bug in either layer alone lets nothing through.
"""

from __future__ import annotations

from pathlib import Path

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from bot.kb.article_text import decompose
from bot.kb.articles import Article, ArticleError, parse_article
from connectors.web.fix_markdown import readable_fix

TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "table", "tbody",
        "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    **{heading: {"id"} for heading in HEADINGS},  # a guided-fix step's anchor
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(markdown: MarkdownIt, body: str, article: Article | None) -> Markup:
    """The article body as safe HTML; a guided fix's control lines read as sentences."""
    if article is not None:
        body = readable_fix(body, article.guided_fix)
    return Markup(sanitise(markdown.render(body)))  # sanitised just above


def render_text(markdown: MarkdownIt, text: str, article_id: str | None = None) -> Markup:
    """A whole article file (front matter and body) as its page will show it: the
    editor's preview. A file that does not parse yet still shows its body."""
    if not text.strip():
        return Markup("")
    try:
        article = parse_article(Path(f"{article_id or 'preview'}.md"), text)
    except ArticleError:
        _, body = decompose(text)
        return render_markdown(markdown, body, None)
    return render_markdown(markdown, article.body, article)
