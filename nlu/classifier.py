"""The intent classifier: TF-IDF over words and character n-grams, then logistic regression.

Word 1-2-grams carry phrasing ("won't start", "how do"); character 2-5-grams inside word
boundaries carry typos, inflections and unseen compounds ("instal", "installing",
"win11"). Both use sublinear tf so a repeated word does not dominate. Logistic
regression gives usable probabilities directly, which the out-of-scope threshold needs.
A calibrated linear SVM was measured too: it fits faster, but its probabilities separate
out-of-scope messages worse (CLINC150 validation, at about 0.89 in-scope accuracy:
0.76 out-of-scope recall against 0.84 for logistic regression; on our own data the two
were level).
Input is cut to `MAX_CHARS` first: the intent of a message is in its opening, and a
pasted 10 kB log must not make a turn slow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from nlu.threshold import ThresholdChoice, choose_threshold
from nlu.types import OUT_OF_SCOPE, IntentScore

MAX_CHARS = 1000
RANKING_SIZE = 5


def clean_text(text: str) -> str:
    """What the vectorisers see: the first `MAX_CHARS` characters, whitespace collapsed."""
    return " ".join(text[:MAX_CHARS].split())


def build_pipeline() -> Pipeline:
    """A fresh, unfitted pipeline; see the module docstring for why these features.

    Character n-grams seen only once are dropped (`min_df=2`): they are mostly noise and
    would be most of the feature space, and the model's size is features × intents.
    Single words are kept, since in a small data set one occurrence is still signal.
    float32 halves the feature memory at no measurable cost in accuracy. The SAGA
    solver keeps no L-BFGS history: on CLINC150 (151 intents, 15k examples) it reached
    the same accuracy in the same time with a peak of 0.3 GB instead of 2.2 GB.
    """
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32
    )
    classifier = LogisticRegression(
        C=10.0, class_weight="balanced", solver="saga", tol=1e-3, max_iter=1000, random_state=0
    )
    return Pipeline(
        [
            ("features", FeatureUnion([("words", words), ("chars", chars)])),
            ("classifier", classifier),
        ]
    )


@dataclass(frozen=True)
class Decision:
    """The classifier's verdict on one text, before entities are added."""

    intent: str
    confidence: float
    ranking: tuple[IntentScore, ...]


@dataclass(frozen=True)
class IntentModel:
    """A fitted pipeline and the confidence below which a message is out of scope."""

    pipeline: Pipeline
    threshold: float

    @property
    def intents(self) -> tuple[str, ...]:
        return tuple(str(name) for name in self.pipeline.classes_)

    def decide(self, text: str, threshold: float | None = None) -> Decision:
        """Classify `text`; empty text is out of scope with confidence 0."""
        cleaned = clean_text(text)
        if not cleaned:
            return Decision(OUT_OF_SCOPE, 0.0, ())
        probabilities = self.pipeline.predict_proba([cleaned])[0]
        order = np.argsort(-probabilities, kind="stable")[:RANKING_SIZE]
        ranking = tuple(
            IntentScore(self.intents[i], round(float(probabilities[i]), 4)) for i in order
        )
        best = ranking[0]
        limit = self.threshold if threshold is None else threshold
        intent = best.name if best.confidence >= limit else OUT_OF_SCOPE
        return Decision(intent, best.confidence, ranking)


def fit_intent_model(
    texts: Sequence[str], labels: Sequence[str], threshold: float | None = None
) -> tuple[IntentModel, ThresholdChoice]:
    """Fit on all the data; choose the threshold by cross-validation unless one is given."""
    cleaned = [clean_text(text) for text in texts]
    if threshold is None:
        choice = choose_threshold(cleaned, labels, build_pipeline)
    else:
        choice = ThresholdChoice(threshold)
    pipeline = build_pipeline().fit(cleaned, list(labels))
    return IntentModel(pipeline, choice.threshold), choice
