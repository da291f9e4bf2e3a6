"""Our TF-IDF features and softmax layer against the scikit-learn models they stand for."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlu.linear import SoftmaxLayer
from nlu.tfidf import TfidfFeatures, TfidfVocabulary

TRAINING = [
    "How do I install Tier0 on Windows 11?",
    "install on linux please",
    "sync fails with error 0x80070005",
    "the bot doesn't answer in Slack",
    "I need a human",
    "a b c d e",  # one-letter words: no word tokens, but character n-grams
    "Ünïcödé  naïve   café — résumé",
    "x",
]
UNSEEN = [
    "how  do i INSTALL it on   windows",
    "error 0x80070005 again!!",
    "",
    "zzzz qqqq",  # nothing in the vocabulary
    "café\tnaïve\nrésumé",
    "a",
    "install install install",
]


def vectorizers() -> list[TfidfVectorizer]:
    return [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=False),
        TfidfVectorizer(ngram_range=(2, 3)),
        TfidfVectorizer(),
    ]


@pytest.mark.parametrize("vectorizer", vectorizers(), ids=repr)
def test_features_match_scikit_learn(vectorizer: TfidfVectorizer) -> None:
    expected = vectorizer.fit(TRAINING).transform(TRAINING + UNSEEN).toarray()
    ours = TfidfFeatures((("v", TfidfVocabulary.from_vectorizer(vectorizer)),))
    rows = ours.transform(TRAINING + UNSEEN)
    dense = np.zeros_like(expected)
    for row in range(rows.count):
        start, end = rows.indptr[row], rows.indptr[row + 1]
        dense[row, rows.indices[start:end]] = rows.values[start:end]
    np.testing.assert_allclose(dense, expected, atol=1e-6)


def test_a_state_round_trip_keeps_the_features() -> None:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(TRAINING)
    features = TfidfFeatures((("chars", TfidfVocabulary.from_vectorizer(vectorizer)),))
    settings, arrays = features.state()
    again = TfidfFeatures.from_state(settings, arrays)
    first, second = features.transform(UNSEEN), again.transform(UNSEEN)
    np.testing.assert_array_equal(first.indptr, second.indptr)
    np.testing.assert_array_equal(first.indices, second.indices)
    np.testing.assert_allclose(first.values, second.values)


def test_settings_it_cannot_reproduce_are_refused() -> None:
    vectorizer = TfidfVectorizer(stop_words=["the"]).fit(TRAINING)
    with pytest.raises(ValueError, match="stop_words"):
        TfidfVocabulary.from_vectorizer(vectorizer)
    settings, arrays = TfidfFeatures(
        (("w", TfidfVocabulary.from_vectorizer(TfidfVectorizer().fit(TRAINING))),)
    ).state()
    with pytest.raises(ValueError, match="analyzer"):
        TfidfFeatures.from_state([{**settings[0], "analyzer": "char"}], arrays)
    with pytest.raises(ValueError, match="repeats a term"):
        vocabulary = settings[0]["vocabulary"]
        TfidfFeatures.from_state(
            [{**settings[0], "vocabulary": vocabulary[:-1] + vocabulary[:1]}], arrays
        )


@pytest.mark.parametrize("classes", [2, 3, 7])
def test_softmax_layer_matches_logistic_regression(classes: int) -> None:
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(120, 9))
    labels = rng.integers(0, classes, size=120)
    estimator = LogisticRegression(C=5.0, max_iter=500).fit(inputs, labels)
    layer = SoftmaxLayer.from_estimator(estimator)
    np.testing.assert_allclose(
        np.exp(layer.log_proba(inputs)), estimator.predict_proba(inputs), atol=1e-5
    )


def test_sparse_rows_give_the_dense_answer_and_empty_rows_the_bias() -> None:
    vectorizer = TfidfVectorizer().fit(TRAINING)
    features = TfidfFeatures((("w", TfidfVocabulary.from_vectorizer(vectorizer)),))
    labels = np.arange(len(TRAINING)) % 3
    estimator = LogisticRegression(max_iter=500).fit(vectorizer.transform(TRAINING), labels)
    layer = SoftmaxLayer.from_estimator(estimator)
    texts = ["zzzz", *UNSEEN, "zzzz"]
    expected = estimator.predict_proba(vectorizer.transform(texts))
    np.testing.assert_allclose(
        np.exp(layer.log_proba(features.transform(texts))), expected, atol=1e-5
    )
