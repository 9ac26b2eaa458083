"""The category model's scikit-learn pipeline.

Features, all on the same message:
- TF-IDF over character n-grams within word boundaries (1–4): robust to typos and slang,
  and Chinese needs no word segmentation at this granularity;
- TF-IDF over word uni- and bigrams, for phrases ("follow back", "how much");
- the hand-made cues of ``signals.py`` (cue-word hits in five languages, links, quantities,
  money), which carry what the few Spanish/Chinese/Portuguese/French rows cannot.

Classifier: a linear SVM (fast, the best of the linear models we measured here) whose
decision values are turned into probabilities by a softmax with one temperature fitted on
cross-validated decisions, so ``confidence`` means something without changing the argmax.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from .signals import HANDLE, URL, CueFeatures

RANDOM_STATE = 0
_DIGIT = re.compile(r"\d")


def prepare(text: str) -> str:
    """What the n-gram vectorizers see: links and @handles as one token each (their shape
    is the signal, not the letters), digits as 0 ("500 pcs" and "300 pcs" look alike)."""
    text = unicodedata.normalize("NFKC", text)
    text = URL.sub(" urlx ", text)
    text = HANDLE.sub(" handlex ", text)
    return _DIGIT.sub("0", text.casefold())


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class TemperatureSVC(BaseEstimator, ClassifierMixin):
    """LinearSVC with ``predict_proba`` = softmax(decision / T); T minimizes the log loss
    of out-of-fold decisions. Unlike per-class sigmoid calibration it never changes the
    predicted class."""

    def __init__(self, C: float = 0.5, folds: int = 3) -> None:
        self.C = C
        self.folds = folds

    def _svc(self) -> LinearSVC:
        return LinearSVC(C=self.C, class_weight="balanced", random_state=RANDOM_STATE)

    def fit(self, X, y, sample_weight=None):
        y = np.asarray(y)
        self.svc_ = self._svc().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.svc_.classes_
        decisions = np.zeros((len(y), len(self.classes_)))
        folds = StratifiedKFold(self.folds, shuffle=True, random_state=RANDOM_STATE)
        for train, held in folds.split(np.zeros(len(y)), y):
            weights = None if sample_weight is None else np.asarray(sample_weight)[train]
            model = clone(self._svc()).fit(X[train], y[train], sample_weight=weights)
            decisions[held] = model.decision_function(X[held])
        truth = np.searchsorted(self.classes_, y)

        def loss(log_t: float) -> float:
            probabilities = _softmax(decisions / np.exp(log_t))
            return -np.mean(np.log(probabilities[np.arange(len(y)), truth] + 1e-12))

        self.temperature_ = float(np.exp(minimize_scalar(loss, bounds=(-4, 2)).x))
        return self

    def decision_function(self, X) -> np.ndarray:
        return self.svc_.decision_function(X)

    def predict_proba(self, X) -> np.ndarray:
        return _softmax(self.decision_function(X) / self.temperature_)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


def build_pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(1, 4),
                    min_df=2,
                    sublinear_tf=True,
                    preprocessor=prepare,
                    dtype=np.float32,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    min_df=2,
                    sublinear_tf=True,
                    preprocessor=prepare,
                    token_pattern=r"(?u)\b\w+\b",
                    dtype=np.float32,
                ),
            ),
            ("cues", CueFeatures()),
        ],
        # The cue block is a few dozen 0..1 columns next to two L2-normalized TF-IDF blocks;
        # half weight measured best on the validation split.
        transformer_weights={"chars": 1.0, "words": 1.0, "cues": 0.5},
    )
    return Pipeline([("features", features), ("classifier", TemperatureSVC())])
