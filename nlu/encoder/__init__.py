"""The sentence encoder shared by intent classification and KB search (one model in memory)."""

from nlu.encoder.encoder import (
    MODEL_DIR,
    EncoderUnavailableError,
    SentenceEncoder,
    encoder_available,
    shared_encoder,
    vocabulary_words,
)

__all__ = [
    "MODEL_DIR",
    "EncoderUnavailableError",
    "SentenceEncoder",
    "encoder_available",
    "shared_encoder",
    "vocabulary_words",
]
