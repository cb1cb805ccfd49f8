"""Language detection and tokenisation shared by training, prediction and analytics."""

from __future__ import annotations

import math
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
_HAN = jieba.re_han_default  # the blocks jieba segments (CJK, letters, digits, +#&._%-)


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


def words(text: str, jieba_span: int | None = None) -> list[str]:
    """Word tokens: jieba (the search pipeline's) for Chinese, a regex for English.

    With ``jieba_span``, jieba reads only that many characters of a Chinese text and
    the English regex the rest: its English words and numbers, not its Chinese.
    """
    if not _CJK.search(text):
        return _EN_WORD.findall(text)
    head, tail = (text[:jieba_span], text[jieba_span:]) if jieba_span else (text, "")
    return _jieba_words(head) + _EN_WORD.findall(tail)


def _jieba_words(text: str) -> list[str]:
    """The word tokens of ``jieba.lcut(text, HMM=False)`` (a test compares them; the
    same on all 44,571 public texts with Chinese).

    jieba's own code builds a graph of every dictionary word in the text, then scores it
    with a generator per character: 1.6 times the time of scoring each word as it is
    found, and it was most of a long Chinese complaint's classification time.
    """
    jieba.dt.check_initialized()
    freq, logtotal = jieba.dt.FREQ, math.log(jieba.dt.total)
    tokens: list[str] = []
    for block in _HAN.split(text):
        if _HAN.match(block):
            tokens += _best_cut(block, freq, logtotal)
        else:  # jieba yields whitespace runs and single characters here
            tokens += _WORD.findall(block)
    return [t for t in tokens if _WORD.search(t)]


def _best_cut(block: str, freq: dict[str, int], logtotal: float) -> list[str]:
    """jieba's most probable cut of a block: from the end, the dictionary word at each
    position maximising its log frequency plus the score of the rest (ties to the
    longer word; the single character when no word starts there)."""
    n = len(block)
    score = [0.0] * (n + 1)
    end = [0] * n
    get = freq.get
    for k in range(n - 1, -1, -1):
        best, stop, found = -logtotal + score[k + 1], k + 1, False
        for i in range(k + 1, n + 1):
            count = get(block[k:i])
            if count is None:  # no dictionary word starts with this prefix
                break
            if count:
                # jieba's expression, in its order: the same float, the same ties
                candidate = math.log(count) - logtotal + score[i]
                if not found or candidate >= best:
                    best, stop, found = candidate, i, True
        score[k], end[k] = best, stop
    tokens, letters, at = [], "", 0
    while at < n:
        word = block[at : end[at]]
        if len(word) == 1 and word.isascii() and word.isalnum():
            letters += word  # jieba joins single ASCII letters and digits
        else:
            if letters:
                tokens.append(letters)
                letters = ""
            tokens.append(word)
        at = end[at]
    if letters:
        tokens.append(letters)
    return tokens
