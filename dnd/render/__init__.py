"""Renderers: the engine's results are plain data; a renderer turns them into text for one reader.

* :mod:`dnd.render.discord`: the Discord Markdown players see (bold verdicts and totals, dropped dice struck
  through), at most one Discord message long.
* :mod:`dnd.render.facts`: plain facts for the narrator's prompt: the same numbers, no Markdown.

As with Avrae d20's stringifiers, the rolled tree is kept apart from its rendering and the format is a
parameter: ``roll("1d20+5", renderer=FACTS)`` gives a result whose ``str()`` is plain, and any result can be
rendered by either renderer (``FACTS.render(result)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dnd.dice import RollResult

__all__ = ["RollRenderer"]


class RollRenderer(Protocol):
    """Turns a roll result into text; ``str(result)`` uses the renderer the roll was made with."""

    def render(self, result: RollResult) -> str: ...
