"""The intent classifier: a lexical model and, when the sentence encoder is installed, a
semantic one, their probabilities combined.

Lexical: TF-IDF over word 1-2-grams ("won't start", "how do") and, on data sets small
enough for it to be cheap, character 2-5-grams inside word boundaries (typos,
inflections, "win11"), into a logistic regression. Semantic: a logistic regression
over MiniLM sentence embeddings (`nlu.encoder`), which knows that "set up" and
"install" are near each other though they share no letters. The two are combined as a
weighted geometric mean, semantic weighted `SEMANTIC_WEIGHT` (see `IntentScorer`):
that beat either alone, the arithmetic mean, and one model over both feature sets on
CLINC150 validation, and it trains in seconds. Logistic regression gives usable
probabilities directly, which the out-of-scope threshold needs.

scikit-learn fits; the fitted models are then kept as arrays (`nlu.linear`), which is
what is saved, loaded, cross-validated and parsed with.
Input is cut to `MAX_CHARS` first: the intent of a message is in its opening, and a
pasted 10 kB log must not make a turn slow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from nlu.encoder import SentenceEncoder
from nlu.linear import SoftmaxLayer
from nlu.scorer import SEMANTIC_WEIGHT, Embeddings, IntentModel, IntentScorer, clean_text
from nlu.tfidf import TfidfFeatures, TfidfVocabulary
from nlu.threshold import ThresholdChoice, choose_threshold

# Above this many examples, character n-grams cost more training time than they add:
# on CLINC150 (15k) they took the lexical fit from 6 s to 36 s for +0.1 point.
CHAR_NGRAMS_BELOW = 5000


def build_pipeline(examples: int = 0) -> Pipeline:
    """A fresh, unfitted pipeline; see the module docstring for why these features.

    Character n-grams seen only once are dropped (`min_df=2`): they are mostly noise and
    would be most of the feature space, and the model's size is features × intents.
    Single words are kept, since in a small data set one occurrence is still signal.
    float32 halves the feature memory at no measurable cost in accuracy. The SAGA
    solver keeps no L-BFGS history: on CLINC150 (151 intents, 15k examples) it reached
    the same accuracy in the same time with a peak of 0.3 GB instead of 2.2 GB.
    """
    features: list[tuple[str, TfidfVectorizer]] = [
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32))
    ]
    if examples < CHAR_NGRAMS_BELOW:
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32
        )
        features.append(("chars", chars))
    classifier = LogisticRegression(
        C=10.0, class_weight="balanced", solver="saga", tol=1e-3, max_iter=1000, random_state=0
    )
    return Pipeline([("features", FeatureUnion(features)), ("classifier", classifier)])


def build_semantic(examples: int) -> LogisticRegression:
    """The logistic regression over sentence embeddings.

    Newton-CG converges in a handful of steps on small data (0.13 s against 0.35 s for
    L-BFGS on our 600 examples); on CLINC150's 15k it is the slower one (8.9 s against
    4.2 s), so the solver follows the data size. The tolerance is tight: stopping
    L-BFGS at 1e-3 cost the semantic model half a point of CLINC150 accuracy.
    """
    solver = "newton-cg" if examples < CHAR_NGRAMS_BELOW else "lbfgs"
    return LogisticRegression(C=10.0, solver=solver, tol=1e-4, max_iter=500, random_state=0)


class HybridClassifier(ClassifierMixin, BaseEstimator):
    """Fits the lexical and (with `embeddings`) semantic models into an `IntentScorer`.

    A scikit-learn estimator over lists of texts, so cross-validation and the threshold
    search treat it like any pipeline; it predicts through the same `IntentScorer` a
    saved model does, so what is cross-validated is what is shipped.
    """

    def __init__(
        self, embeddings: Embeddings | None = None, semantic_weight: float = SEMANTIC_WEIGHT
    ) -> None:
        self.embeddings = embeddings
        self.semantic_weight = semantic_weight

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> HybridClassifier:
        texts, labels = list(texts), list(labels)
        semantic: SoftmaxLayer | None = None
        if self.embeddings is None:
            lexical = build_pipeline(len(texts)).fit(texts, labels)
        else:
            # The two fits are independent and spend their time outside the GIL: run
            # the semantic one in a second thread.
            vectors = self.embeddings(texts)
            with ThreadPoolExecutor(max_workers=1) as pool:
                fitting = pool.submit(build_semantic(len(texts)).fit, vectors, labels)
                lexical = build_pipeline(len(texts)).fit(texts, labels)
                semantic = SoftmaxLayer.from_estimator(fitting.result())
        union = lexical.named_steps["features"]
        self.scorer_ = IntentScorer(
            classes_=np.asarray(lexical.classes_),
            features=TfidfFeatures(
                tuple(
                    (name, TfidfVocabulary.from_vectorizer(vectorizer))
                    for name, vectorizer in union.transformer_list
                )
            ),
            lexical=SoftmaxLayer.from_estimator(lexical.named_steps["classifier"]),
            semantic=semantic,
            semantic_weight=self.semantic_weight,
            embeddings=self.embeddings,
        )
        self.classes_ = self.scorer_.classes_
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.scorer_.predict_proba(texts)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


def fit_intent_model(
    texts: Sequence[str],
    labels: Sequence[str],
    threshold: float | None = None,
    encoder: SentenceEncoder | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[IntentModel, ThresholdChoice]:
    """Fit on all the data; choose the threshold by cross-validation unless one is given.

    With an `encoder`, every training text is embedded once, up front, and the folds
    and the final fit reuse those vectors.
    """
    say = progress or (lambda message: None)
    cleaned = [clean_text(text) for text in texts]
    embeddings = Embeddings(encoder) if encoder is not None else None
    if embeddings is not None:
        say(f"embedding {len(cleaned)} examples with the sentence encoder")
        embeddings.remember(cleaned)
    if threshold is None:
        say("choosing the out-of-scope threshold by cross-validation")
        # The semantic model's confidences are smooth enough that one shuffle finds
        # the same threshold as three (shipped data: 0.19 with 1, 2 or 3), in a third
        # of the time; the lexical model alone needs the repeats.
        repeats = 1 if embeddings is not None else None
        choice = choose_threshold(
            cleaned, labels, lambda: HybridClassifier(embeddings), repeats=repeats
        )
    else:
        choice = ThresholdChoice(threshold)
    say("fitting the final model")
    scorer = HybridClassifier(embeddings).fit(cleaned, list(labels)).scorer_
    if embeddings is not None:
        embeddings.forget()  # the training vectors are not needed to parse
    return IntentModel(scorer, choice.threshold), choice
