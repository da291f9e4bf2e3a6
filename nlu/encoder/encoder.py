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
import os
import threading
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
BATCH_SIZE = 64


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
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # No busy-waiting between requests: a server's idle threads must not burn a core.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session: Any = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()
        self.identity = _file_digest(model_path)

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Embed `texts`, batching texts of similar length together to waste no padding."""
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        order = np.argsort([len(text) for text in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            chunk = order[start : start + batch_size]
            vectors[chunk] = self._encode_batch([texts[i][:MAX_CHARS] for i in chunk])
        return vectors

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        # ONNX Runtime sessions are thread-safe, but one run at a time is faster on 2 cores
        # than several runs fighting over the same intra-op threads.
        with self._lock:
            (output,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return np.asarray(output, dtype=np.float32)


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
