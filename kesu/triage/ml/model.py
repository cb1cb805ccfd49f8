"""A linear text model: TF-IDF over characters (1–3) and words, a head per task.

Saved as a zip of JSON (vocabularies, classes, metadata) and a NumPy ``.npz`` of plain
float arrays, read back with ``allow_pickle=False``: a model file can never run code.
"""

from __future__ import annotations

import io
import json
import math
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kesu.triage.ml.text import normalise, words

if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

FORMAT = 1
# Character n-grams carry Chinese (no spaces to split words on); over a long English
# narrative they cost most of the training time and add little to its words, so they
# only see the start of each text.
CHAR_SPAN = 400
# Segmenting Chinese costs microseconds a character (pure Python, see text.py): over a
# long Chinese narrative it was most of the per-text p99. It reads the start of a
# Chinese text, as the character n-grams do; the tail still gives its English words.
# No hand-labelled or gold Chinese text is longer, so the shipped model is the same.
WORD_SPAN = 300
VOCABULARY_SAMPLE = 15_000
CHAR_FEATURES = 40_000
WORD_FEATURES = 20_000
_HALF = np.float32(math.sqrt(0.5))
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's char analyzer collapses them


class ModelFileError(ValueError):
    """A model file that is not a Kesu triage model, or is damaged."""


def word_ngrams(text: str) -> list[str]:
    """Words and adjacent word pairs (pairs catch 不 + verb, 'not received')."""
    tokens = words(text, jieba_span=WORD_SPAN)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def text_start(text: str) -> str:
    """The part of a (normalised) text that character n-grams look at."""
    return text[:CHAR_SPAN]


# scikit-learn and SciPy are imported where a batch or a training needs them: loading
# them costs every web and worker process seconds at start-up, while one complaint at
# a time (`TextModel.row`) needs neither.
def _char_vectorizer(**kwargs: Any) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char",
        preprocessor=text_start,
        ngram_range=(1, 3),
        lowercase=False,
        sublinear_tf=True,
        **kwargs,
    )


def _given(tokens: list[str]) -> list[str]:
    return tokens  # documents reach the word vectorizer already tokenised


def _word_vectorizer(**kwargs: Any) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=_given, lowercase=False, sublinear_tf=True, **kwargs
    )


SparseRow = tuple[np.ndarray, np.ndarray]  # one text's feature indices and values


@dataclass
class Head:
    """One task's linear layer: classes and their weights over the shared features."""

    classes: list[str]
    coef: np.ndarray  # int8 (n_classes, n_features), times `scale` per class
    scale: np.ndarray
    intercept: np.ndarray

    def __post_init__(self) -> None:
        # C order: scipy copies a transposed (Fortran-order) operand on every product.
        weights = self.coef.astype(np.float32) * self.scale[:, None]
        self._weights = np.ascontiguousarray(weights.T)

    def proba(
        self, features: sparse.csr_matrix, temperature: float = 1.0
    ) -> np.ndarray:
        """Class probabilities (softmax of the linear scores), one row per text."""
        scores = (np.asarray(features @ self._weights) + self.intercept) / temperature
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return np.asarray(scores)

    @property
    def weights(self) -> np.ndarray:
        """The float weights, (n_features, n_classes) in C order."""
        return self._weights

    def fit_temperature(
        self, features: sparse.csr_matrix, labels: Sequence[str]
    ) -> float:
        """Temperature that minimises log-loss on held-out texts (Guo et al., 2017)."""
        index = {label: i for i, label in enumerate(self.classes)}
        known = [
            (row, index[label]) for row, label in enumerate(labels) if label in index
        ]
        rows = [row for row, _ in known]
        truth = np.array([column for _, column in known])
        best, best_loss = 1.0, np.inf
        for temperature in np.geomspace(0.5, 50, 40):
            proba = self.proba(features[rows], float(temperature))
            loss = -np.log(proba[np.arange(len(rows)), truth] + 1e-12).mean()
            if loss < best_loss:
                best, best_loss = float(temperature), loss
        return best

    def scaled(self, temperature: float) -> Head:
        """The same head with its scores divided by ``temperature``."""
        return Head(
            self.classes,
            self.coef,
            (self.scale / temperature).astype(np.float32),
            (self.intercept / temperature).astype(np.float32),
        )


@dataclass
class Terms:
    """A fitted TF-IDF vocabulary: term indices and IDF weights, over characters or
    words. Batches go through scikit-learn (built on first use); one text through
    `row`, which computes the same numbers directly."""

    kind: str  # "char" or "word"
    vocabulary: dict[str, int]
    idf: np.ndarray
    _vectorizer: TfidfVectorizer | None = field(default=None, repr=False)

    @classmethod
    def fitted(cls, kind: str, vectorizer: TfidfVectorizer) -> Terms:
        return cls(kind, vectorizer.vocabulary_, vectorizer.idf_, vectorizer)

    def transform(self, documents: Sequence[Any]) -> sparse.csr_matrix:
        if self._vectorizer is None:
            make = _char_vectorizer if self.kind == "char" else _word_vectorizer
            vectorizer = make(vocabulary=self.vocabulary, dtype=np.float32)
            vectorizer.idf_ = self.idf
            self._vectorizer = vectorizer
        return self._vectorizer.transform(documents)

    def row(self, terms: Sequence[str]) -> SparseRow:
        """Sublinear TF times IDF over the known terms, L2-normalised."""
        # Looked up in C (map over the dict's get; -1 for an unknown term) and counted
        # by NumPy: a Python loop over the terms was a fifth of a long text's time.
        indices = np.fromiter(
            map(self.vocabulary.get, terms, repeat(-1)), np.int64, len(terms)
        )
        indices, counts = np.unique(indices[indices >= 0], return_counts=True)
        tf = counts.astype(np.float32)
        values = (np.log(tf) + 1) * self.idf[indices]
        norm = np.sqrt(np.dot(values, values))
        if norm > 0:
            values /= norm
        return indices, values.astype(np.float32)


@dataclass
class TextModel:
    """Shared TF-IDF features plus named heads (``category``, ``subcategory`` …)."""

    char: Terms
    word: Terms
    heads: dict[str, Head] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit_features(
        cls, texts: Sequence[str], min_df: int = 2
    ) -> tuple[TextModel, sparse.csr_matrix]:
        """Learn vocabularies and IDF weights; also return the training features.

        On a large set the vocabularies and IDF come from a fixed sample: sorting and
        pruning every n-gram of 50,000 texts took most of the training time, and the
        terms that survive pruning are the frequent ones a sample finds too.
        """
        docs = [normalise(t) for t in texts]
        tokens = [word_ngrams(d) for d in docs]
        char = _char_vectorizer(
            min_df=min_df, max_features=CHAR_FEATURES, dtype=np.float32
        )
        word = _word_vectorizer(
            min_df=min_df, max_features=WORD_FEATURES, dtype=np.float32
        )
        chosen: Sequence[int] = range(len(docs))
        if len(docs) > VOCABULARY_SAMPLE:
            sampler = random.Random(0)  # noqa: S311 - a reproducible sample, not a secret
            chosen = sorted(sampler.sample(chosen, VOCABULARY_SAMPLE))
        char.fit([docs[i] for i in chosen])
        word.fit([tokens[i] for i in chosen])
        model = cls(char=Terms.fitted("char", char), word=Terms.fitted("word", word))
        return model, _joined([char.transform(docs), word.transform(tokens)])

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Char and word TF-IDF side by side, each half L2-normalised."""
        docs = [normalise(t) for t in texts]
        tokens = [word_ngrams(d) for d in docs]
        return _joined([self.char.transform(docs), self.word.transform(tokens)])

    def row(self, text: str) -> SparseRow:
        """`features` of one text as (indices, values), computed directly.

        The same numbers as the scikit-learn transform (a test compares them), at a
        fraction of its cost for one text: most of that is input validation and sparse
        matrix bookkeeping, which dominate the per-complaint latency.
        """
        doc = normalise(text)
        char_indices, char_values = self.char.row(_char_ngrams(text_start(doc)))
        word_indices, word_values = self.word.row(word_ngrams(doc))
        offset = len(self.char.vocabulary)
        indices = np.concatenate([char_indices, word_indices + offset])
        values = np.concatenate([char_values, word_values]) * _HALF
        return indices, values

    def fit_head(
        self,
        name: str,
        features: sparse.csr_matrix,
        labels: Sequence[str],
        alpha: float = 5e-6,
    ) -> Head:
        """Train a class-balanced logistic-loss linear head on computed features.

        SGD rather than LogisticRegression(lbfgs): the same gold-set F1, measured,
        at a thirtieth of the training time on 45,000 texts.
        """
        from sklearn.linear_model import SGDClassifier

        clf = SGDClassifier(
            loss="log_loss",
            alpha=alpha,
            class_weight="balanced",
            max_iter=8,
            tol=None,
            random_state=0,
        )
        clf.fit(features, list(labels))
        coef, intercept = clf.coef_, clf.intercept_
        if len(clf.classes_) == 2:  # sklearn keeps one row for binary problems
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        # int8 weights with one scale per class keep the file small (< 5 MB).
        scale = np.maximum(np.abs(coef).max(axis=1), 1e-12) / 127
        head = Head(
            classes=[str(c) for c in clf.classes_],
            coef=np.round(coef / scale[:, None]).astype(np.int8),
            scale=scale.astype(np.float32),
            intercept=intercept.astype(np.float32),
        )
        self.heads[name] = head
        return head

    def proba(self, name: str, texts: Sequence[str]) -> np.ndarray:
        """Probabilities of head ``name`` for each text."""
        return self.heads[name].proba(self.features(texts))

    def to_bytes(self) -> bytes:
        """The model as a zip of JSON and plain arrays."""
        arrays: dict[str, Any] = {
            "char_idf": self.char.idf.astype(np.float32),
            "word_idf": self.word.idf.astype(np.float32),
        }
        heads = {}
        for name, head in self.heads.items():
            arrays[f"{name}_coef"] = head.coef
            arrays[f"{name}_scale"] = head.scale
            arrays[f"{name}_intercept"] = head.intercept
            heads[name] = head.classes
        spec = {
            "format": FORMAT,
            "char_vocabulary": _ordered(self.char.vocabulary),
            "word_vocabulary": _ordered(self.word.vocabulary),
            "heads": heads,
            "meta": self.meta,
        }
        npz = io.BytesIO()
        np.savez_compressed(npz, **arrays)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr("model.json", json.dumps(spec, ensure_ascii=False))
            bundle.writestr("arrays.npz", npz.getvalue())
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextModel:
        """Load a model saved by `to_bytes`; never unpickles anything."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as bundle:
                spec = json.loads(bundle.read("model.json"))
                arrays = np.load(
                    io.BytesIO(bundle.read("arrays.npz")), allow_pickle=False
                )
                arrays = {key: arrays[key] for key in arrays.files}
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ModelFileError(f"not a Kesu triage model: {exc}") from exc
        if spec.get("format") != FORMAT:
            raise ModelFileError(f"unsupported model format {spec.get('format')!r}")
        char = Terms("char", _indexed(spec["char_vocabulary"]), arrays["char_idf"])
        word = Terms("word", _indexed(spec["word_vocabulary"]), arrays["word_idf"])
        heads = {
            name: Head(
                classes,
                arrays[f"{name}_coef"],
                arrays[f"{name}_scale"],
                arrays[f"{name}_intercept"],
            )
            for name, classes in spec["heads"].items()
        }
        return cls(char=char, word=word, heads=heads, meta=spec.get("meta", {}))

    def save(self, path: Path) -> None:
        """Write the model file."""
        path.write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """Read a model file."""
        return cls.from_bytes(path.read_bytes())


def _joined(parts: list[sparse.spmatrix]) -> sparse.csr_matrix:
    from scipy import sparse

    # Each half is unit-length; scaling by 1/sqrt(2) keeps the whole row unit-length.
    return sparse.csr_matrix(sparse.hstack(parts) * np.float32(np.sqrt(0.5)))


def _char_ngrams(text: str) -> list[str]:
    text = _WHITE_SPACES.sub(" ", text)
    grams = list(text)
    grams += [text[i : i + 2] for i in range(len(text) - 1)]
    grams += [text[i : i + 3] for i in range(len(text) - 2)]
    return grams


def _ordered(vocabulary: dict[str, int]) -> list[str]:
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    return terms


def _indexed(terms: list[str]) -> dict[str, int]:
    return {term: index for index, term in enumerate(terms)}
