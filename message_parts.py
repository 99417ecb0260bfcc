"""Cutting text to Discord's limits (stdlib only: the gateway and the tasks both import it).

One splitter: :func:`pack_lines` joins lines into parts that fit a limit (a message, an embed's description or
field), and :func:`split_message` splits one message's text with it.
"""

from __future__ import annotations

from collections.abc import Iterable

DISCORD_MESSAGE_LIMIT = 2000


def pack_lines(lines: Iterable[str], limit: int) -> list[str]:
    """Join lines with newlines into parts of at most `limit` characters, never splitting a line that fits; a
    longer line is cut at a space (in its second half, else hard) into parts of its own."""
    parts: list[str] = []
    current = ""
    for line in lines:
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def split_message(text: str, limit: int = DISCORD_MESSAGE_LIMIT) -> list[str]:
    """Split at line boundaries so every part fits (see :func:`pack_lines`); parts of only whitespace are
    dropped."""
    if len(text) <= limit:
        return [text]
    return [part for part in pack_lines(text.split("\n"), limit) if part.strip()] or [text[:limit]]
