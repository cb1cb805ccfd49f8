"""Severity and emotion rules: keywords or regular expressions that beat any model."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

SEVERITY_ORDER = ("general", "urgent", "major")
EMOTION_ORDER = ("calm", "unhappy", "angry")
REGEX_PREFIX = "re:"
MAX_HITS = 3  # enough to explain a decision; a long narrative can match "not" 100 times


@dataclass(frozen=True)
class Rule:
    """One rule row: when ``pattern`` matches a text in ``language`` ('' = any)."""

    kind: str  # "severity" or "emotion"
    value: str  # a severity or an emotion
    language: str
    pattern: str

    def regex(self) -> str:
        """The rule as a regular expression."""
        if self.pattern.startswith(REGEX_PREFIX):
            return self.pattern[len(REGEX_PREFIX) :]
        if self.language == "zh":
            return re.escape(self.pattern)
        return r"\b" + re.escape(self.pattern) + r"\b"


class RuleSet:
    """Rules compiled into one alternation per (kind, value, language) for speed."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        grouped: dict[tuple[str, str, str], list[Rule]] = {}
        for rule in rules:
            grouped.setdefault((rule.kind, rule.value, rule.language), []).append(rule)
        self._compiled = {
            key: re.compile("|".join(f"(?:{r.regex()})" for r in group), re.IGNORECASE)
            for key, group in grouped.items()
        }

    def _hits(self, kind: str, value: str, text: str, language: str) -> list[str]:
        found = []
        for lang in ("", language):
            pattern = self._compiled.get((kind, value, lang))
            if pattern is not None:
                found += [m.group(0) for m in islice(pattern.finditer(text), MAX_HITS)]
        return found

    def highest(
        self, kind: str, order: tuple[str, ...], text: str, language: str
    ) -> tuple[str | None, list[str]]:
        """The highest value in ``order`` whose rules match, and the matched words."""
        for value in reversed(order):
            hits = self._hits(kind, value, text, language)
            if hits:
                return value, hits
        return None, []


def default_rules() -> list[Rule]:
    """The shipped rules (what the migration seeds), for use without a database."""
    from kesu.triage.defaults import RULES

    return [Rule(*row) for row in RULES]
