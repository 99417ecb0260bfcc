"""Ingestion of the rules folder (RULES_DIR, e.g. the SRD Markdown): full build, unchanged re-run, and the same
folder through LlamaIndex's defaults (`VectorStoreIndex.from_documents`, default splitter, the same embedding
model), in the same run. Prints one JSON object.

    RULES_DIR=../shared/corpus/srd/markdown/OldManUmby-DND.SRD.Wiki python bench/ingest.py

Uses DATABASE_URL / VAR_DIR when that PostgreSQL answers (index `bench-rules`, dropped first), else a temporary
embedded one. `--pdf [DIR]` indexes the SRD PDF (or DIR's PDFs) instead and times its reading and embedding.
torch and sentence-transformers are imported before either timing (`import_seconds`);
`seconds` includes building our model (`model_load_seconds`). `--skip-llamaindex` leaves the comparison out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import database, load_average

BENCH_INDEX = "bench-rules"
PDF_INDEX = "bench-pdf"
DEFAULT_PDF_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "srd" / "pdf"


def ours(root: Path) -> dict[str, Any]:
    from corpus.ingest import build_index, remove_index, rules_spec

    remove_index(BENCH_INDEX)
    spec = rules_spec(name=BENCH_INDEX, root=root)
    started = time.perf_counter()
    first = build_index(spec)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = build_index(spec)
    rerun_seconds = time.perf_counter() - started
    result = {
        "files": first.total_files, "failed_files": first.failed, "chunks": first.total_chunks,
        "windows": first.total_windows, "tokens_embedded": first.tokens_embedded,
        "seconds": round(seconds, 2), "chunks_per_s": round(first.total_chunks / seconds, 1),
        "windows_per_s": round(first.total_windows / seconds, 1),
        "model_load_seconds": first.model_load_seconds, "embed_seconds": first.embed_seconds,
        "prepare_seconds": first.prepare_seconds, "write_seconds": first.write_seconds,
        "seconds_without_model_load": round(seconds - first.model_load_seconds, 2),
        "rerun_seconds": round(rerun_seconds, 2), "rerun_files_embedded": again.indexed,
        "rerun_files_unchanged": again.unchanged,
        "embed_dtype": first.model.get("dtype"), "embed_threads": first.model.get("threads"),
    }
    remove_index(BENCH_INDEX)
    return result


def pdf_build(root: Path) -> dict[str, Any]:
    """The PDFs of `root` indexed once (index `bench-pdf`): reading (PDFium text, headings, pages) + chunking,
    embedding and writing, each timed."""
    from corpus.ingest import build_index, remove_index, rules_spec

    remove_index(PDF_INDEX)
    started = time.perf_counter()
    report = build_index(rules_spec(name=PDF_INDEX, root=root))
    seconds = time.perf_counter() - started
    result = {"pdf_dir": str(root), "pdf_files": report.total_files, "pdf_failed_files": report.failed,
              "pdf_chunks": report.total_chunks, "pdf_windows": report.total_windows,
              "pdf_tokens_embedded": report.tokens_embedded, "pdf_seconds": round(seconds, 2),
              "pdf_seconds_without_model_load": round(seconds - report.model_load_seconds, 2),
              "pdf_model_load_seconds": report.model_load_seconds, "pdf_prepare_seconds": report.prepare_seconds,
              "pdf_embed_seconds": report.embed_seconds, "pdf_write_seconds": report.write_seconds,
              "embed_dtype": report.model.get("dtype"), "embed_threads": report.model.get("threads")}
    remove_index(PDF_INDEX)
    return result


def llamaindex_defaults(root: Path) -> dict[str, Any]:
    """LlamaIndex as documented: SimpleDirectoryReader → VectorStoreIndex.from_documents with the default
    transformations (SentenceSplitter, 1024 tokens) and HuggingFaceEmbedding over the same model folder."""
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from corpus.embedding import MAX_TEXT_TOKENS, count_tokens, model_path

    started = time.perf_counter()
    model_started = time.perf_counter()
    Settings.embed_model = HuggingFaceEmbedding(model_name=str(model_path()), device="cpu")
    model_seconds = time.perf_counter() - model_started
    documents = SimpleDirectoryReader(str(root), recursive=True, required_exts=[".md"]).load_data()
    index = VectorStoreIndex.from_documents(documents)
    seconds = time.perf_counter() - started
    nodes = list(index.docstore.docs.values())
    tokens = count_tokens([node.get_content(metadata_mode="embed") for node in nodes])
    truncated = [count for count in tokens if count > MAX_TEXT_TOKENS]
    return {"llamaindex_default_seconds": round(seconds, 2),
            "llamaindex_tokens_embedded": sum(min(count, MAX_TEXT_TOKENS) for count in tokens),
            "llamaindex_model_load_seconds": round(model_seconds, 2),
            "llamaindex_documents": len(documents), "llamaindex_nodes": len(nodes),
            "llamaindex_truncated_nodes": len(truncated),
            "llamaindex_tokens_not_embedded": sum(count - MAX_TEXT_TOKENS for count in truncated)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-llamaindex", action="store_true")
    parser.add_argument("--pdf", nargs="?", const=DEFAULT_PDF_DIR, type=Path, metavar="DIR",
                        help="index the PDFs of DIR instead (default: ../shared/corpus/srd/pdf)")
    args = parser.parse_args()
    from settings import get_settings

    if args.pdf is not None:
        return pdf_main(args.pdf)

    root = get_settings().rules_dir
    if not root.is_dir() or not any(root.rglob("*.md")):
        print(f"RULES_DIR {root} has no Markdown files", file=sys.stderr)
        return 2
    load_before = load_average()
    with database() as where:
        result: dict[str, Any] = {"rules_dir": str(root), "database": where, "load_average_before": load_before}
        # Both pipelines run sentence-transformers on torch: the libraries are imported once, up front, so
        # neither timing carries the import (about 5–15 s of CPU here).
        started = time.perf_counter()
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401

        result["import_seconds"] = round(time.perf_counter() - started, 2)
        result.update(ours(root))
        if not args.skip_llamaindex:
            result.update(llamaindex_defaults(root))
            result["faster_than_llamaindex"] = result["seconds"] < result["llamaindex_default_seconds"]
        result["load_average_after"] = load_average()
    print(json.dumps(result))
    return 0


def pdf_main(root: Path) -> int:
    if not root.is_dir() or not any(root.rglob("*.pdf")):
        print(f"{root} has no PDF files", file=sys.stderr)
        return 2
    load_before = load_average()
    with database() as where:
        result: dict[str, Any] = {"database": where, "load_average_before": load_before}
        started = time.perf_counter()
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401

        result["import_seconds"] = round(time.perf_counter() - started, 2)
        result.update(pdf_build(root))
        result["load_average_after"] = load_average()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
