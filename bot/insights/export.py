"""CSV export of the insights' results, with cells a spreadsheet would run as a formula
escaped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

FORMULA_START = frozenset("=+-@\t\r")  # what makes a spreadsheet read a cell as a formula


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        if all(isinstance(v, tuple) and len(v) == 2 for v in value):
            value = "; ".join(f"{k}: {v}" for k, v in value)
        else:
            value = " | ".join(str(v) for v in value)
    text = str(value)
    # Questions are user text: "=HYPERLINK(...)" must reach a spreadsheet as text.
    if text[:1] in FORMULA_START or text.lstrip()[:1] in FORMULA_START:
        return "'" + text
    return text


def to_csv(rows: Iterable[Any], row_type: type[Any]) -> str:
    """The rows as CSV with a header of `row_type`'s fields (there even with no rows).

    Tuples are joined ("a | b", "reason: 3; other: 1"), datetimes in ISO 8601, and any
    cell a spreadsheet would run as a formula (= + - @ tab CR) gets a leading apostrophe.
    A single result (`Deflection`) is exported as `to_csv([result], Deflection)`.
    """
    if not (is_dataclass(row_type) and isinstance(row_type, type)):
        raise TypeError(f"row_type must be a dataclass, got {row_type!r}")
    names = [f.name for f in fields(row_type)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        if not isinstance(row, row_type):
            raise TypeError(f"expected {row_type.__name__} rows, got {type(row).__name__}")
        writer.writerow([_cell(getattr(row, name)) for name in names])
    return out.getvalue()
