"""Sentence embeddings from the shipped MiniLM graph, under ONNX Runtime, without torch.

Why this shape: torch would cost 1.4 GB installed and a 20 s cold start for one small
model; ONNX Runtime and the `tokenizers` library together are about 20 MB and load the
model in well under a second. The optional `embeddings` extra brings both; without it
`encoder_available()` is False and Tier0 runs on TF-IDF alone.

One `SentenceEncoder` per process (`shared_encoder`): the NLU classifier and KB search
embed with the same model, so it is in memory once.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_DIR = Path(__file__).parent / "model"
MODEL_FILE = "minilm-l6-v2.onnx"
DIMENSION = 384
MAX_TOKENS = 256  # the model's own limit (sentence_bert_config.json)
MAX_CHARS = 2000  # a longer text is cut first: tokenising a pasted log is wasted work
BATCH_SIZE = 64  # 32 to 128 measured the same per text; 16 and 256 slower
TOKENIZE_CHUNK = 4096
RECENT_TEXTS = 512  # single texts whose vectors are kept (1.5 kB each)


class EncoderUnavailableError(RuntimeError):
    """The encoder was asked for but its libraries or model file are not installed."""


def _missing() -> str | None:
    """What is missing for the encoder to run, or None when it can."""
    for module in ("onnxruntime", "tokenizers"):
        try:
            __import__(module)
        except ImportError:
            return f"the Python package '{module}' (pip install 'tier0[embeddings]')"
    if not (MODEL_DIR / MODEL_FILE).is_file():
        return f"the model file {MODEL_DIR / MODEL_FILE}"
    return None


def encoder_available() -> bool:
    return _missing() is None


class SentenceEncoder:
    """Texts in, L2-normalised float32 vectors out (cosine similarity = dot product)."""

    dimension = DIMENSION

    def __init__(self, model_dir: Path = MODEL_DIR, threads: int | None = None) -> None:
        missing = _missing() if model_dir == MODEL_DIR else None
        if missing:
            raise EncoderUnavailableError(f"sentence encoder unavailable: missing {missing}")
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = model_dir / MODEL_FILE
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        # Measured on 2 cores: 2 threads beat 1 for one short text as well as for batches
        # (3.6 vs 4.8 ms p50 for a text, 1.75 vs 3.1 ms a text in batches of 64).
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # No busy-waiting between requests: a server's idle threads must not burn a core.
        # Spinning only within a run (with "session.force_spinning_stop") was measured
        # too: faster back to back, but slower (9 vs 6 ms) with messages 20 ms apart.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session: Any = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()
        self.identity = _file_digest(model_path)

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Embed `texts`, batching texts of the same token count together: no padding.

        Sorting by token count rather than by characters cut the padded tokens of the
        CLINC150 training set from 219,000 to 168,000 (the real ones: 166,500), and the
        encoder's work is proportional to them. Texts are tokenised a chunk at a time and
        only their ids kept, so a long list of texts never holds every `Encoding` at once.
        """
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        ids: list[list[int]] = []
        for start in range(0, len(texts), TOKENIZE_CHUNK):
            chunk = [text[:MAX_CHARS] for text in texts[start : start + TOKENIZE_CHUNK]]
            ids.extend(encoding.ids for encoding in self._tokenizer.encode_batch(chunk))
        order = np.argsort([len(row) for row in ids], kind="stable")
        for start in range(0, len(texts), batch_size):
            chunk = order[start : start + batch_size]
            vectors[chunk] = self._run([ids[i] for i in chunk])
        return vectors

    def encode_one(self, text: str) -> np.ndarray:
        """One text's vector, remembered: a turn embeds the same message twice, for the
        intent and for the KB search, and chat repeats "yes", "no" and "thanks"."""
        with self._recent_lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                return vector
        vector = self.encode([text])[0]
        vector.setflags(write=False)
        with self._recent_lock:
            self._recent[text] = vector
            if len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)
        return vector

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, row_ids in enumerate(rows):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1
        # ONNX Runtime sessions are thread-safe, but one run at a time is faster on 2 cores
        # than several runs fighting over the same intra-op threads.
        with self._lock:
            (output,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(output, dtype=np.float32)


@lru_cache(maxsize=1)
def vocabulary_words() -> frozenset[str]:
    """The whole English words of the encoder's WordPiece vocabulary (about 22,000).

    A word list that ships with the model, no download: KB search uses it to tell a
    real word the KB happens not to contain ("night") from a typo ("windwos").
    """
    try:
        vocabulary = json.loads((MODEL_DIR / "tokenizer.json").read_text())["model"]["vocab"]
    except (OSError, ValueError, KeyError):
        return frozenset()
    return frozenset(word for word in vocabulary if word.isalpha() and len(word) > 1)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder | None:
    """The process's one encoder, or None when the `embeddings` extra is not installed.

    Locked, so two threads asking at start-up load it once, not twice.
    """
    with _shared_lock:
        return _load_shared()


@lru_cache(maxsize=1)
def _load_shared() -> SentenceEncoder | None:
    if not encoder_available():
        return None
    return SentenceEncoder()
