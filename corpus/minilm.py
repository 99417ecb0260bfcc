"""The all-MiniLM-L6-v2 forward pass in NumPy, for query embeddings.

Same weights (the model folder's `model.safetensors`), same tokenizer (`tokenizer.json`), same pipeline as the
sentence-transformers model (BERT → mean pooling over the attention mask → L2 normalisation); a unit test
checks it against sentence-transformers. Why a second implementation: importing torch + transformers +
sentence-transformers costs seconds of CPU per process (tens of seconds on a busy 2-core machine), while a
query is a handful of word pieces that NumPy embeds in about a millisecond. Bulk ingestion still runs
sentence-transformers (batched, bfloat16 where the CPU has it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7), to avoid importing SciPy for one function."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + _ERF_P * a)
    a1, a2, a3, a4, a5 = _ERF_A
    poly = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0, dtype=x.dtype)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * weight + bias


class NumpyMiniLM:
    """BERT encoder + mean pooling + normalisation, float32."""

    def __init__(self, model_dir: Path, max_tokens: int = 256) -> None:
        import json

        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config.get('hidden_act')!r}")
        raw = load_file(str(model_dir / "model.safetensors"))
        # Checkpoints name the encoder with or without the `bert.` prefix.
        self.w = {name.removeprefix("bert."): np.ascontiguousarray(value, dtype=np.float32)
                  for name, value in raw.items()}
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        # Fused QKV projection: one matmul instead of three.
        self._qkv = []
        for layer in range(self.layers):
            prefix = f"encoder.layer.{layer}.attention.self."
            weight = np.concatenate([self.w[prefix + part + ".weight"] for part in ("query", "key", "value")], axis=0)
            bias = np.concatenate([self.w[prefix + part + ".bias"] for part in ("query", "key", "value")])
            self._qkv.append((np.ascontiguousarray(weight.T), bias))
        self._dense = {name: np.ascontiguousarray(value.T) for name, value in self.w.items()
                       if name.endswith(".weight") and value.ndim == 2 and "embeddings" not in name}

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._dense[name + ".weight"] + self.w[name + ".bias"]

    def _encode_one(self, ids: Sequence[int]) -> np.ndarray:
        n = len(ids)
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][np.asarray(ids)]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        head_dim = self.hidden // self.heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            qkv_weight, qkv_bias = self._qkv[layer]
            qkv = x @ qkv_weight + qkv_bias
            q, k, v = (qkv[:, i * self.hidden:(i + 1) * self.hidden].reshape(n, self.heads, head_dim).transpose(1, 0, 2)
                       for i in range(3))
            scores = (q @ k.transpose(0, 2, 1)) * scale
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(1, 0, 2).reshape(n, self.hidden)
            attended = self._linear(context, p + "attention.output.dense")
            x = _layer_norm(attended + x, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            inner = _gelu(self._linear(x, p + "intermediate.dense"))
            out = self._linear(inner, p + "output.dense")
            x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps)
        pooled = x.mean(axis=0)
        norm = float(np.linalg.norm(pooled))
        return (pooled / max(norm, 1e-12)).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text (texts longer than the window keep their first word pieces)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        return np.stack([self._encode_one(e.ids) for e in encodings]) if encodings else np.zeros((0, self.hidden),
                                                                                                  np.float32)
