"""The LLM layer: structured model output, providers, circuit breakers, the fallback chain, prompts.

Model output is untrusted (../shared/ARCHITECTURE.md §6): `schema.parse_model_output` is the only way text from a
model becomes updates, and it only ever yields allow-listed, bounded updates.
"""

from workers.llm.schema import (
    InvalidModelOutput,
    ModelOutput,
    ParsedOutput,
    Update,
    json_schema,
    parse_model_output,
)

__all__ = [
    "InvalidModelOutput",
    "ModelOutput",
    "ParsedOutput",
    "Update",
    "json_schema",
    "parse_model_output",
]
