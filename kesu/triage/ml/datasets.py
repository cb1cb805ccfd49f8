"""Readers for the public data sets in KESU_DATA_DIR and for the gold labels.

The data stay outside the repository; the gold files hold only (source, row, labels).
Row ids: 0-based data row for the review corpora, the unnamed id column for the CFPB
narrative file, ``Complaint ID`` for the full CFPB file, ``留言编号`` for TipDM.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

GOLD_DIR = Path(__file__).resolve().parent.parent / "gold"
HAND_LABELS_DIR = Path(__file__).resolve().parent.parent / "handlabels"
DEFAULT_DATA_DIR = Path("/work/shared/data")

SHOP = "chinese-reviews/online_shopping_10_cats.csv"
WAIMAI = "chinese-reviews/waimai_10k.csv"
TIPDM_LABELLED = "tipdm2020/fj2_labelled_sample_495.csv"
TIPDM_MESSAGES = "tipdm2020/fj3_messages_likes_4326.csv"
CFPB_FULL = "cfpb/cfpb_2015-2020_full_schema_6623.csv"
CFPB_NARRATIVES = "cfpb/cfpb_narrative_product_3947.csv"


class DataMissingError(FileNotFoundError):
    """The public data directory (KESU_DATA_DIR) is not where it was said to be."""


@dataclass(frozen=True)
class Record:
    """One text of a public data set with what the set says about it."""

    source: str
    row: str
    text: str
    label: str = ""  # the set's own label: sentiment, product, TipDM class
    issue: str = ""  # CFPB Issue (full file only)
    domain: str = ""  # online_shopping product domain


@dataclass(frozen=True)
class HandLabel:
    """One hand-labelled item, gold or training (labels only; texts stay in data)."""

    source: str
    row: str
    category: str
    subcategory: str
    emotion: str
    is_usable: bool


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: the argument, else KESU_DATA_DIR, else the default."""
    chosen = Path(path or os.environ.get("KESU_DATA_DIR") or DEFAULT_DATA_DIR)
    if not (chosen / SHOP).is_file():
        raise DataMissingError(
            f"public data not found in {chosen} (expected {SHOP}); "
            "pass --data-dir or set KESU_DATA_DIR"
        )
    return chosen


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def read(root: Path, source: str) -> list[Record]:
    """All non-empty texts of one source file."""
    records = []
    for index, row in enumerate(_rows(root / source)):
        record = _record(source, index, row)
        if record.text.strip():
            records.append(record)
    return records


def _record(source: str, index: int, row: dict[str, str]) -> Record:
    if source == SHOP:
        return Record(
            source, str(index), row["review"], row["label"], domain=row["cat"]
        )
    if source == WAIMAI:
        return Record(source, str(index), row["review"], row["label"])
    if source == CFPB_FULL:
        text = row["Consumer complaint narrative"]
        return Record(source, row["Complaint ID"], text, row["Product"], row["Issue"])
    if source == CFPB_NARRATIVES:
        return Record(
            source, row[""], row["Consumer complaint narrative"], row["Product"]
        )
    text = f"{row['留言主题'].strip()}。{row['留言详情'].strip()}"
    return Record(source, row["留言编号"], text, row.get("一级分类", ""))


def gold(languages: tuple[str, ...] = ("zh", "en")) -> list[HandLabel]:
    """The gold labels shipped in kesu/triage/gold/ (test only, never trained on)."""
    return _labelled_rows(GOLD_DIR, "gold", languages)


def hand_labels(languages: tuple[str, ...] = ("zh", "en")) -> list[HandLabel]:
    """The hand-labelled training rows shipped in kesu/triage/handlabels/."""
    return _labelled_rows(HAND_LABELS_DIR, "train", languages)


def _labelled_rows(
    directory: Path, kind: str, languages: tuple[str, ...]
) -> list[HandLabel]:
    result = []
    for language in languages:
        for row in _rows(directory / f"{language}_{kind}.csv"):
            result.append(
                HandLabel(
                    source=row["source"],
                    row=row["row"],
                    category=row["category"],
                    subcategory=row["subcategory"],
                    emotion=row["emotion"],
                    is_usable=row["usable"] == "1",
                )
            )
    return result


def gold_keys() -> set[tuple[str, str]]:
    """(source, row) of every gold item: these never go into training."""
    return {(g.source, g.row) for g in gold()}


def gold_texts(root: Path, rows: list[HandLabel]) -> list[str]:
    """The texts of gold or hand-labelled rows, read from the public data."""
    by_source: dict[str, dict[str, str]] = {}
    for source in {g.source for g in rows}:
        by_source[source] = {r.row: r.text for r in read(root, source)}
    return [by_source[g.source][g.row] for g in rows]
