"""The answer schema the local server gets compiles with llama.cpp's own JSON-schema-to-grammar converter
and grammar parser (the installed llama-cpp-python), quickly; the schema with its length limits did not
(llama-cpp-python's server failed on it, "failed to parse grammar", and died)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.system import REAL_MODEL_MISSING, real_model_gguf
from workers.llm import schema as answer_schema
from workers.llm.schema import SRD_CONDITIONS, UPDATE_TYPES, ModelOutput, json_schema

GGUF = real_model_gguf()
pytestmark = pytest.mark.skipif(GGUF is None, reason=REAL_MODEL_MISSING)


@pytest.fixture(scope="module")
def vocab() -> Iterator[Any]:
    from llama_cpp import Llama

    model = Llama(model_path=str(GGUF), vocab_only=True, verbose=False)  # the tokenizer alone: no weights
    yield model._model.vocab
    model.close()


def compile_grammar(vocab: Any, gbnf: str) -> bool:
    """llama.cpp's grammar parser, as the server runs it for a request: NULL when the grammar fails."""
    import llama_cpp

    sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


def test_the_schema_sent_compiles_in_well_under_a_second(vocab: Any) -> None:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    started = time.perf_counter()
    gbnf = json_schema_to_gbnf(json.dumps(json_schema()))
    assert compile_grammar(vocab, gbnf)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.25, f"{elapsed:.3f}s"
    assert len(gbnf) < 20_000  # no unrolled length limits
    # The enums and the update types survive: the grammar allows nothing else.
    for value in (*UPDATE_TYPES, *SRD_CONDITIONS, "friendly", "hostile"):
        assert f'\\"{value}\\"' in gbnf, value


def test_the_schema_with_length_limits_is_what_broke_the_server(vocab: Any) -> None:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    full = ModelOutput.model_json_schema()
    with_limits = answer_schema._clean_schema(
        answer_schema._inline_refs({k: v for k, v in full.items() if k != "$defs"}, full["$defs"]), "openai")
    gbnf = json_schema_to_gbnf(json.dumps(with_limits))
    assert len(gbnf) > 5 * len(json_schema_to_gbnf(json.dumps(json_schema())))
    assert not compile_grammar(vocab, gbnf)
