"""The embedding model, offline: the NumPy query encoder gives sentence-transformers' vectors; pre-tokenized
windows embed like their text; nothing over the window is embedded."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.embedding import DIMENSIONS, Embedder, EmbeddingError, embed_query, encode_ids, model_path

TEXTS = ["How does grappling work?",
         "When you want to grab a creature or wrestle with it, you can use the Attack action to make a special "
         "melee attack, a grapple.",
         "Thornwall is a palisade village at the edge of the Cinder Reaches."]


@pytest.fixture(scope="module")
def float32_model() -> Embedder:
    return Embedder(dtype="float32", threads=1)


def test_the_model_loads_offline_from_the_bundled_package() -> None:
    assert (model_path() / "model.safetensors").is_file()


def test_numpy_query_vectors_equal_sentence_transformers(float32_model: Embedder) -> None:
    reference = float32_model.embed(TEXTS)
    ours = np.stack([embed_query(text) for text in TEXTS])
    assert ours.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(ours * reference, axis=1))) > 0.99999


def test_pre_tokenized_windows_embed_like_their_text(float32_model: Embedder) -> None:
    by_text = float32_model.embed(TEXTS)
    by_ids = float32_model.embed_ids(encode_ids(TEXTS))
    assert float(np.min(np.sum(by_text * by_ids, axis=1))) > 0.99999


def test_nothing_longer_than_the_window_is_embedded(float32_model: Embedder) -> None:
    too_long = "word " * 400
    with pytest.raises(EmbeddingError):
        float32_model.embed([too_long])
    with pytest.raises(EmbeddingError):
        float32_model.embed_ids([[2773] * 255])


def test_a_repeated_question_is_embedded_once_and_case_or_spacing_do_not_matter() -> None:
    from corpus.embedding import _cached_query_vector, clear_query_cache, get_query_encoder

    clear_query_cache()
    first = embed_query("How much can I   carry?")
    again = embed_query("  how much can i carry?")
    assert again is first and _cached_query_vector.cache_info().hits == 1
    # The tokenizer is uncased: the cached vector is the one the encoder makes for the text as typed.
    assert np.allclose(first, get_query_encoder().encode(["How much can I carry?"])[0], atol=1e-6)
    with pytest.raises(ValueError):
        first[0] = 1.0  # shared by every caller: read-only
