"""Lines and veils in the narration (pure): the topics a text names, and a narration with the sentences that
cross a line taken out."""

from __future__ import annotations

import re

MAX_TOPICS = 25  # per list: a short list the narrator can honour, not a content filter
MAX_TOPIC_CHARS = 60
_TOPIC = re.compile(r"[\w][\w '\-]{1,59}")
_SENTENCES = re.compile(r"(?<=[.!?…”])\s+")
REPLACEMENT = "The scene moves on."


def clean_topic(text: str) -> str:
    """The topic as stored: lower case, single spaces; ValueError with the reason when it can't be one."""
    topic = " ".join(text.split()).casefold()
    if len(topic) > MAX_TOPIC_CHARS:
        raise ValueError(f"A topic is at most {MAX_TOPIC_CHARS} characters.")
    if not _TOPIC.fullmatch(topic):
        raise ValueError("A topic is a word or a few (letters, digits, spaces, ' and -), e.g. `spiders`.")
    return topic


def _pattern(topic: str) -> re.Pattern[str]:
    # "spiders" also catches "spider" and "spider's"; "drowning" catches "drowning" only.
    stem = topic[:-1] if topic.endswith("s") and len(topic) > 3 else topic
    words = r"\s+".join(re.escape(word) for word in stem.split())
    return re.compile(rf"\b{words}(?:s|es|'s)?\b", re.IGNORECASE)


def crossed(text: str, lines: list[str]) -> list[str]:
    """The lines `text` names."""
    return [topic for topic in lines if _pattern(topic).search(text)]


def without_lines(narration: str, lines: list[str]) -> str:
    """The narration without its sentences that name a line; a neutral sentence when none is left."""
    kept = [s for s in _SENTENCES.split(narration) if s.strip() and not crossed(s, lines)]
    return " ".join(kept) if kept else REPLACEMENT
