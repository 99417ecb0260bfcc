"""Drift from the current scene and the hook made from a scene (pure)."""

from __future__ import annotations

from corpus import plot
from corpus.structure import load_campaign, plot_structure
from settings import PROJECT_ROOT

STRUCTURE = plot_structure(load_campaign(PROJECT_ROOT / "corpus" / "campaigns" / "ashes-of-thornwall.md"))


def test_the_scene_of_the_current_act_is_found() -> None:
    scene = plot.current_scene(STRUCTURE, 1, 1)
    assert scene is not None and scene["title"] == "The Harvest Raid"
    assert plot.current_scene(STRUCTURE, 9, 1) is None and plot.current_scene(STRUCTURE, 1, 99) is None


def test_talk_about_the_scene_is_not_drift() -> None:
    keywords = plot.scene_keywords(plot.current_scene(STRUCTURE, 1, 1))
    assert plot.deviation_score(["We chase the goblins away from the granary in Thornwall"], keywords) == 0


def test_talk_about_anything_else_is_drift() -> None:
    keywords = plot.scene_keywords(plot.current_scene(STRUCTURE, 1, 1))
    texts = ["I go fishing by the sea", "Let's open a bakery", "I sing sea shanties"]
    assert plot.deviation_score(texts, keywords) == 10 >= plot.DRIFT_THRESHOLD
    assert plot.deviation_score(texts + ["We follow the goblins' trail to the granary"], keywords) == 8


def test_no_scene_or_no_words_means_no_score() -> None:
    assert plot.deviation_score([], {"goblin"}) == 0
    assert plot.deviation_score(["anything at all"], set()) == 0


def test_a_hook_is_made_from_the_scene_when_none_are_left() -> None:
    scene = plot.current_scene(STRUCTURE, 1, 1)
    hook = plot.fallback_hook(scene)
    assert hook is not None and scene["npcs"][0] in hook and "Thornwall Village" in hook
    assert plot.fallback_hook(None) is None


def test_the_next_scene_follows_story_order_across_acts() -> None:
    order = plot.scene_order(STRUCTURE)
    assert order[0] == (1, 1) and len(order) == len(set(order)) > 2
    assert plot.next_scene(STRUCTURE, *order[0]) == order[1]
    last_of_act_one = max(pair for pair in order if pair[0] == 1)
    assert plot.next_scene(STRUCTURE, *last_of_act_one) == (2, 1)
    assert plot.next_scene(STRUCTURE, *order[-1]) is None
    assert plot.next_scene({}, 1, 1) is None
    assert plot.scene_moved_text(STRUCTURE, 1, 2).startswith("📜 The story moves on: **Act 1: ")


def test_a_hook_is_due_when_the_players_drift_and_none_was_given_recently() -> None:
    drifting = ["I go fishing by the sea", "Let's open a bakery"]
    due = plot.hook_due(STRUCTURE, 1, 1, drifting, cooling_down=False)
    assert due is not None and due.score == 10
    assert due.fallback == plot.fallback_hook(plot.current_scene(STRUCTURE, 1, 1))
    assert plot.hook_due(STRUCTURE, 1, 1, drifting, cooling_down=True) is None  # a nudge, then quiet turns
    on_scene = ["We chase the goblins away from the granary in Thornwall"]
    assert plot.hook_due(STRUCTURE, 1, 1, on_scene, cooling_down=False) is None
    lost = plot.hook_due(STRUCTURE, 9, 1, drifting, cooling_down=False)
    assert lost is None  # no current scene: nothing to drift from
