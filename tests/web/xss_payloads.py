"""Hostile strings for the XSS tests: each tries to run `window.__pwned = 1` (or to
open a dialog) from wherever Tier0 shows user or author text. Collected from the
classic filter-evasion lists: tags, attributes, URL schemes, entities, SVG/MathML,
template and Markdown tricks."""

from html.parser import HTMLParser

PWN = "window.__pwned=1"

PAYLOADS = [
    f"<script>{PWN}</script>",
    f"<SCRIPT>{PWN}</SCRIPT>",
    f"<img src=x onerror={PWN}>",
    f'<img src=x onerror="{PWN}">',
    f"<svg onload={PWN}>",
    f"<svg><script>{PWN}</script></svg>",
    f"<body onload={PWN}>",
    f'<iframe src="javascript:{PWN}"></iframe>',
    f'<iframe srcdoc="<script>parent.{PWN}</script>"></iframe>',
    f'<a href="javascript:{PWN}">click</a>',
    f"[click](javascript:{PWN})",
    f"[click](JaVaScRiPt:{PWN})",
    f"[click](javascript&#58;{PWN})",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    f'![x](x" onerror="{PWN})',
    f"![x](javascript:{PWN})",
    f"<details open ontoggle={PWN}>",
    f"<input autofocus onfocus={PWN}>",
    f"<video><source onerror={PWN}></video>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={PWN}>",
    f'<object data="javascript:{PWN}"></object>',
    f'<embed src="javascript:{PWN}">',
    f'<form action="javascript:{PWN}"><button>go</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{PWN}">',
    f"<style>@import 'javascript:{PWN}';</style>",
    f'"><script>{PWN}</script>',
    f"'><img src=x onerror={PWN}>",
    f"</textarea><script>{PWN}</script>",
    f"</title><script>{PWN}</script>",
    f"<scr<script>ipt>{PWN}</scr</script>ipt>",
    f"<img src=`x` onerror=`{PWN}`>",
    f'<a href="&#106;avascript:{PWN}">x</a>',
    f"{{{{constructor.constructor('{PWN}')()}}}}",
    f"${{{PWN}}}",
    f'<div style="background:url(javascript:{PWN})">x</div>',
    f'<svg><a xlink:href="javascript:{PWN}"><text y=20>x</text></a></svg>',
    f'<noscript><p title="</noscript><img src=x onerror={PWN}>">',
    f'<base href="javascript:{PWN}//">',
]

FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "applet", "form"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}


class _Inspector(HTMLParser):
    """Collects what would make a page run a payload: event-handler attributes,
    inline scripts, framing tags, and script or data URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag in FORBIDDEN_TAGS and not (tag == "form" and _own_form(names)):
            self.found.append(f"<{tag}>")
        refresh = (names.get("http-equiv") or "").lower() == "refresh"
        if tag == "meta" and refresh and "url" in (names.get("content") or "").lower():
            self.found.append("<meta refresh>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=>")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = "".join(value.split()).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.found.append(f"<{tag} {name}={value[:30]}>")


def _own_form(attrs: dict[str, str | None]) -> bool:
    """Tier0's own forms post to a path on the same site."""
    action = attrs.get("action") or ""
    return action.startswith("/") and not action.startswith("//")


def assert_inert(html: str, where: str) -> None:
    """No payload can run from this HTML, and none appears with its markup intact."""
    inspector = _Inspector()
    inspector.feed(html)
    assert not inspector.found, f"{where}: {inspector.found}"
    for payload in PAYLOADS:
        if "<" in payload:
            assert payload not in html, f"{where}: payload unescaped: {payload}"
