"""Reading labelled-text files (CSV or XLSX with the columns ``text,label``)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from kesu.core.errors import InvalidInput
from kesu.triage.ml.training import Example

REQUIRED = ("text", "label")


def read_labelled(path: Path) -> list[Example]:
    """Examples of a CSV/XLSX file; a label may be ``category`` or ``category/sub``."""
    rows = _rows(path)
    if not rows:
        raise InvalidInput(f"{path}: the file is empty", field="file")
    header = [str(cell or "").strip().lower() for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    found = ", ".join(h for h in header if h)
    if missing:
        raise InvalidInput(
            f"{path}: missing column(s) {', '.join(missing)}; the header must name "
            f"'text' and 'label' (found: {found or 'nothing'})",
            field="file",
        )
    text_at, label_at = header.index("text"), header.index("label")
    examples = []
    for number, row in enumerate(rows[1:], start=2):
        text = str(row[text_at] or "").strip() if text_at < len(row) else ""
        label = str(row[label_at] or "").strip() if label_at < len(row) else ""
        if not text and not label:
            continue
        if not text or not label:
            raise InvalidInput(
                f"{path}: row {number} has no text or no label", field="file"
            )
        category, _, subcategory = label.partition("/")
        examples.append(Example(text, category, subcategory))
    if not examples:
        raise InvalidInput(f"{path}: no labelled rows", field="file")
    return examples


def _rows(path: Path) -> list[list[object]]:
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", field="file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return [list(row) for row in csv.reader(handle)]
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"{path}: not UTF-8 text ({exc.reason})", field="file"
            ) from exc
    if suffix == ".xlsx":
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise InvalidInput(
                f"{path}: not a readable XLSX file", field="file"
            ) from exc
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    raise InvalidInput(f"{path}: expected a .csv or .xlsx file", field="file")
