"""Where the SRD test data is: `../shared/corpus/srd/` beside the project (CI's layout), or the directories named
by SRD_JSON_DIR / SRD_MARKDOWN_DIR. Tests read it from there; none of it is copied into the project."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_SRD = PROJECT_ROOT.parent / "shared" / "corpus" / "srd"
SRD_JSON_DIR = Path(os.environ.get("SRD_JSON_DIR") or SHARED_SRD / "json" / "5e-bits-5e-database")
SRD_MARKDOWN_DIR = Path(os.environ.get("SRD_MARKDOWN_DIR") or SHARED_SRD / "markdown")
