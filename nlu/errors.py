"""The exceptions `nlu` raises, so callers can tell bad data from a missing or stale model.

Each one subclasses the built-in exception a generic caller already handles (the CLI
catches `ValueError` and `OSError` and prints one line), and its message names the
file and, for training data, the line to fix.
"""

from __future__ import annotations


class NluError(Exception):
    """Base of every error `nlu` raises on purpose."""


class TrainingDataError(NluError, ValueError):
    """Malformed training data; the message starts with `file:line:`."""


class ModelNotFoundError(NluError, FileNotFoundError):
    """No trained model in the directory: train one first."""


class ModelIncompatibleError(NluError, ValueError):
    """A model exists but cannot be used here (other format or scikit-learn version, damage)."""
