"""Language detection and tokenisation shared by training, prediction and analytics."""

from __future__ import annotations

import re

import jieba

# The same jieba (and dictionary) as the case search in kesu/cases/search.py, which also
# quiets its loading log; accurate mode without HMM here, as it is four times faster
# than search mode and new words matter less to a classifier than to a search box.
import kesu.cases.search  # noqa: F401

MAX_CHARS = 2000  # the grievance is stated early; bounds the cost of long narratives
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_EN_WORD = re.compile(r"[a-z][a-z0-9']+|\d+")
_MASK = re.compile(r"x{2,}|\{\$[\d.,]+\}", re.IGNORECASE)  # CFPB's XXXX / {$12.00}
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w")


def detect_language(text: str) -> str:
    """'zh' when CJK characters make up at least a fifth of the letters, else 'en'."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk == 0 and latin == 0:
        return "zh"
    # One Han character carries about as much as a 4-letter English word.
    return "zh" if cjk * 4 >= (cjk * 4 + latin) * 0.2 else "en"


def normalise(text: str) -> str:
    """Lower-cased, masked placeholders dropped, whitespace collapsed, truncated."""
    text = _MASK.sub(" ", text[:MAX_CHARS].lower())
    return _SPACE.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Word tokens: jieba (the search pipeline's) for Chinese, a regex for English."""
    if _CJK.search(text):
        return [w for w in jieba.lcut(text, HMM=False) if w.strip() and _WORD.search(w)]
    return _EN_WORD.findall(text)
