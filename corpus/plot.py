"""The campaign's plot as the table moves through it: the current and the next scene (`!advance_plot`), and
railroad recovery without railroading: how far the players drifted from the current scene, and a gentle hook
to offer when they did. Pure functions over the plot structure `corpus.structure` extracts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dnd.phrases import singular_word

DRIFT_THRESHOLD = 6  # on a 0–10 scale: from here on the narrator gets one hook
_WORD = re.compile(r"[a-z][a-z'\-]{3,}")
_STOPWORDS = frozenset("""that this with from they them their there what when where which while would could should
about into over under after before again very just more most some such than then your yours have been were will
shall look looks around tavern party""".split())


def current_scene(plot_structure: Mapping[str, Any], act: int, scene: int) -> dict[str, Any] | None:
    for act_entry in plot_structure.get("acts", []):
        if int(act_entry.get("number", 0)) == act:
            scenes = act_entry.get("scenes", [])
            return scenes[scene - 1] if 0 < scene <= len(scenes) else None
    return None


def scene_foes(plot_structure: Mapping[str, Any], act: int, scene: int) -> list[dict[str, Any]]:
    """The foes the scene's **Encounter:** line names, as [{"monster", "count"}]; [] when it names none (or the
    plot structure was stored before scenes kept their foes: `!load_campaign` again refreshes it)."""
    entry = current_scene(plot_structure, act, scene) or {}
    return [{"monster": str(foe["monster"]), "count": int(foe.get("count") or 1)} for foe in entry.get("foes") or []
            if isinstance(foe, Mapping) and foe.get("monster")]


def scene_order(plot_structure: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(act, scene) pairs in story order."""
    return [(int(act["number"]), index) for act in plot_structure.get("acts", [])
            for index, _ in enumerate(act.get("scenes", []), start=1)]


def next_scene(plot_structure: Mapping[str, Any], act: int, scene: int) -> tuple[int, int] | None:
    """The scene after (act, scene) in story order; None at the last one or when there are no scenes."""
    order = scene_order(plot_structure)
    position = order.index((act, scene)) if (act, scene) in order else -1
    return order[position + 1] if position + 1 < len(order) else None


def scene_moved_text(plot_structure: Mapping[str, Any], act: int, scene: int) -> str:
    """What the table reads when the story moves to (act, scene)."""
    act_entry = next(a for a in plot_structure["acts"] if int(a["number"]) == act)
    entry = act_entry["scenes"][scene - 1]
    return (f"📜 The story moves on: **Act {act}: {act_entry.get('title', '')}**, scene {entry.get('number')} "
            f"— *{entry.get('title', '')}*.")


def words(text: str) -> set[str]:
    """The telling words of a text, stemmed just enough that "goblins'" meets "goblin"."""
    return {singular_word(word.strip("'").removesuffix("'s")) for word in _WORD.findall(text.lower())
            if word not in _STOPWORDS}


def scene_keywords(scene: Mapping[str, Any] | None) -> set[str]:
    if not scene:
        return set()
    parts = [str(scene.get("title", "")), str(scene.get("location", "")), str(scene.get("hook", ""))]
    parts += [str(name) for name in scene.get("npcs", [])]
    parts += [str(event).replace("-", " ") for event in scene.get("events", [])]
    return words(" ".join(parts))


def deviation_score(player_texts: Iterable[str], keywords: set[str]) -> int:
    """0 (on the scene) to 10 (nothing said touches it): the share of messages sharing no word with it."""
    texts = [text for text in player_texts if text.strip()]
    if not texts or not keywords:
        return 0
    off_scene = sum(1 for text in texts if not words(text) & keywords)
    return round(10 * off_scene / len(texts))


def fallback_hook(scene: Mapping[str, Any] | None) -> str | None:
    """A hook made from the scene itself when the campaign's own hooks are used up."""
    if not scene:
        return None
    npcs = list(scene.get("npcs", []))
    location = scene.get("location") or "nearby"
    if npcs:
        return f"{npcs[0]} comes looking for the party with news from {location}."
    return f"A rumour spreads of strange happenings at {location}."


@dataclass(frozen=True)
class HookDue:
    """The players drifted from the scene: the drift score (kept with the hook given) and the hook made from the
    scene, for when the campaign's own hooks are used up."""

    score: int
    fallback: str | None


def hook_due(plot_structure: Mapping[str, Any], act: int, scene_number: int, player_texts: Iterable[str], *,
             cooling_down: bool) -> HookDue | None:
    """One gentle hook when the players drift from the current scene, then a few quiet turns (`cooling_down`
    while a hook was given recently): a nudge, not a railroad."""
    scene = current_scene(plot_structure, act, scene_number)
    score = deviation_score(player_texts, scene_keywords(scene))
    if score < DRIFT_THRESHOLD or cooling_down:
        return None
    return HookDue(score, fallback_hook(scene))


def scene_brief(plot_structure: Mapping[str, Any], act: int, scene_number: int,
                place_description: str = "") -> dict[str, Any] | None:
    """What the narrator describes of the current scene, from the campaign file: its place (name and the
    location's own description, `place_description`, kept in the locations table), the scene's opening, the
    NPCs present as the file spells them, and the way on (the next scene's place, when it is elsewhere)."""
    scene = current_scene(plot_structure, act, scene_number)
    if not scene:
        return None
    place = scene.get("location") or None
    brief: dict[str, Any] = {"number": scene.get("number"), "title": scene.get("title"), "location": place,
                             "description": place_description,
                             "summary": scene.get("summary") or "", "npcs": list(scene.get("npcs", []))}
    following = next_scene(plot_structure, act, scene_number)
    if following is not None:
        after = current_scene(plot_structure, *following) or {}
        if after.get("location") and after.get("location") != place:
            brief["exits"] = [after["location"]]
    return brief
