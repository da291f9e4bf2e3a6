"""The insights page's SVG charts: well-formed, accessible, and inert whatever the labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from connectors.web.charts import bar_chart, stacked_bar

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    "<script>alert(1)</script>",
    '"onload="alert(1)',
    "' onmouseover='alert(1)",
    "</text><script>alert(1)</script>",
    "]]><!-- & &amp; &#x3c;",
    "bell\x07 and nul\x00 and\nnewline",
]


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup), "a Jinja template must not escape it a second time"
    return ET.fromstring(str(svg))


def assert_inert(root: ET.Element, markup: str) -> None:
    for element in root.iter():
        assert element.tag.removeprefix(SVG) not in ("script", "foreignObject", "a")
        assert not [name for name in element.attrib if name.lower().startswith("on")]
        assert "style" not in element.attrib, "CSP without 'unsafe-inline' forbids style="
    assert "<script" not in markup
    assert "style=" not in markup


def texts(root: ET.Element) -> list[str]:
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def assert_labelled(root: ET.Element, title: str) -> None:
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    ids = {element.get("id"): element for element in root.iter() if element.get("id")}
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert ids[title_id].tag == f"{SVG}title" and ids[title_id].text == title
    assert ids[desc_id].tag == f"{SVG}desc"


@pytest.mark.parametrize("label", HOSTILE)
def test_bar_chart_escapes_hostile_labels(label: str) -> None:
    svg = bar_chart(label, [(label, 3), ("plain", 1)], unit=label, label_width=600, width=900)
    root = parse(svg)
    assert_inert(root, str(svg))
    shown = " ".join(label.split()).replace("\x07", " ").replace("\x00", " ")
    shown = " ".join(shown.split())
    assert shown in texts(root), "the label reads back as text, not markup"
    assert_labelled(root, shown)


@pytest.mark.parametrize("label", HOSTILE)
def test_stacked_bar_escapes_hostile_labels(label: str) -> None:
    svg = stacked_bar(label, [(label, 2), ("Assumed", 1), ("Escalated", 1)], unit=label)
    root = parse(svg)
    assert_inert(root, str(svg))


def test_bar_chart_draws_one_bar_per_item_scaled_to_the_largest() -> None:
    svg = bar_chart("Not helpful", [("install-windows", 4), ("faq-offline", 2)], chart_id="gaps")
    root = parse(svg)
    assert_labelled(root, "Not helpful")
    assert root.get("aria-labelledby") == "gaps-title gaps-desc"
    widths = [float(rect.get("width", "0")) for rect in root.iter(f"{SVG}rect")]
    assert len(widths) == 2 and widths[0] == 2 * widths[1]
    assert "install-windows" in texts(root) and "4" in texts(root)
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == "install-windows: 4; faq-offline: 2"


def test_long_labels_are_cut_but_kept_whole_in_the_tooltip() -> None:
    question = "how do I install tier0 on windows when the py launcher is missing " * 3
    root = parse(bar_chart("Gaps", [(question, 12)], label_width=240))
    label = next(t for t in texts(root) if t.startswith("how do I"))
    assert label.endswith("\u2026") and len(label) <= 34
    tooltip = root.find(f"{SVG}g/{SVG}title")
    assert tooltip is not None and tooltip.text == f"{' '.join(question.split())}: 12"


def test_values_are_formatted_with_the_unit() -> None:
    root = parse(bar_chart("Escalation", [("ask_howto", 12.5), ("greet", 0)], unit="%"))
    assert {"12.5%", "0%"} <= set(texts(root))
    root = parse(bar_chart("Gaps", [("reset password", 1234)], unit=" asks\n"))
    assert "1,234 asks " in texts(root)


def test_stacked_bar_shares_fill_the_width_and_the_legend_gives_percentages() -> None:
    items = [("Confirmed", 2), ("Assumed", 1), ("Escalated", 1)]
    root = parse(stacked_bar("Deflection", items, width=400, chart_id="deflection"))
    assert_labelled(root, "Deflection")
    segments = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "28"]
    assert [float(r.get("width", "0")) for r in segments] == [200.0, 100.0, 100.0]
    assert [float(r.get("x", "0")) for r in segments] == [0.0, 200.0, 300.0]
    assert "Confirmed: 2 (50%)" in texts(root)
    assert len({r.get("fill") for r in segments}) == 3


@pytest.mark.parametrize("chart", [bar_chart, stacked_bar])
def test_no_data_is_a_valid_chart_saying_so(chart) -> None:  # type: ignore[no-untyped-def]
    root = parse(chart("Nothing yet", []))
    assert_labelled(root, "Nothing yet")
    assert "No data for this period." in texts(root)
    assert_inert(root, "")


def test_all_zero_parts_are_no_data() -> None:
    root = parse(stacked_bar("Deflection", [("Confirmed", 0), ("Assumed", 0)]))
    assert "No data for this period." in texts(root)


def test_two_charts_get_distinct_ids() -> None:
    first, second = parse(bar_chart("A", [("x", 1)])), parse(bar_chart("A", [("x", 1)]))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


@pytest.mark.parametrize("chart_id", ['x" onload="alert(1)', "1abc", "", "a b"])
def test_a_chart_id_that_is_not_a_plain_name_is_refused(chart_id: str) -> None:
    with pytest.raises(ValueError, match="chart_id"):
        bar_chart("A", [("x", 1)], chart_id=chart_id)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1])
def test_values_must_be_finite_and_not_negative(value: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        bar_chart("A", [("x", value)])
    with pytest.raises(ValueError, match="finite"):
        stacked_bar("A", [("x", value)])
