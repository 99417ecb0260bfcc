"""Rules questions with the SRD section that answers them: the retrieval check of the tests and the query set
of bench/retrieval.py.

A hit "finds" a question's section when the section's heading is on the hit's heading path, or is a heading
line of the returned parent chunk, or the chunk contains the section's distinctive phrase (the PDF spells a few
headings differently from the Markdown edition).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.retrieval import Hit


@dataclass(frozen=True)
class RulesQuestion:
    question: str
    headings: tuple[str, ...]
    phrase: str
    # Held-out questions: every fact must be in one returned chunk (headings and phrase are then unused).
    facts: tuple[str, ...] = ()
    kind: str = "rule"


SRD_QUESTIONS: tuple[RulesQuestion, ...] = (
    RulesQuestion("How does grappling work?", ("Grappling",), "grapple check"),
    RulesQuestion("What happens when I drop to 0 hit points?", ("Dropping to 0 Hit Points",),
                  "you either die outright or fall unconscious"),
    RulesQuestion("How do death saving throws work?", ("Death Saving Throws",), "death saving throw"),
    RulesQuestion("When can a creature make an opportunity attack?", ("Opportunity Attacks",),
                  "make an opportunity attack when a hostile creature"),
    RulesQuestion("How does cover protect a target from attacks?", ("Cover",), "three-quarters cover"),
    RulesQuestion("What does the Dodge action do?", ("Dodge",), "take the dodge action"),
    RulesQuestion("How does fighting with a weapon in each hand work?", ("Two-Weapon Fighting",),
                  "light melee weapon that you're holding in one hand"),
    RulesQuestion("How do I shove a creature?", ("Shoving a Creature",), "shove a creature"),
    RulesQuestion("What are the rules for a critical hit?", ("Critical Hits",), "score a critical hit"),
    RulesQuestion("How does surprise work at the start of a fight?", ("Surprise",), "surprised"),
    RulesQuestion("How is initiative determined in combat?", ("Initiative",), "initiative"),
    RulesQuestion("What does the blinded condition do?", ("Blinded",), "a blinded creature can't see"),
    RulesQuestion("What happens to a frightened creature?", ("Frightened",), "a frightened creature"),
    RulesQuestion("What are the levels of exhaustion and their effects?", ("Exhaustion",), "exhaustion"),
    RulesQuestion("How does concentration on a spell work and what breaks it?", ("Concentration",),
                  "concentration"),
    RulesQuestion("What can I do during a short rest?", ("Short Rest",), "a short rest is a period of downtime"),
    RulesQuestion("What do I regain after a long rest?", ("Long Rest",), "a long rest is a period of extended"),
    RulesQuestion("What are the prerequisites for multiclassing?", ("Multiclassing", "Prerequisites"),
                  "multiclassing"),
    RulesQuestion("How far can my character jump?", ("Jumping", "Long Jump", "High Jump"), "long jump"),
    RulesQuestion("How long can a character hold their breath?", ("Suffocating",), "hold its breath"),
    RulesQuestion("What does the Fireball spell do?", ("Fireball",), "bright streak flashes"),
    RulesQuestion("How does the Magic Missile spell work?", ("Magic Missile",), "glowing darts of magical force"),
    RulesQuestion("How does a barbarian's rage work?", ("Rage",), "while raging"),
    RulesQuestion("What is a rogue's sneak attack?", ("Sneak Attack",), "sneak attack"),
    RulesQuestion("How much damage does falling deal?", ("Falling",), "1d6 bludgeoning damage for every 10 feet"),
    RulesQuestion("What does the Help action do?", ("Help",), "lend your aid"),
    RulesQuestion("How do advantage and disadvantage work?", ("Advantage and Disadvantage",),
                  "roll a second d20"),
    RulesQuestion("How does difficult terrain affect movement?", ("Difficult Terrain",),
                  "every foot of movement in difficult terrain costs 1 extra foot"),
    RulesQuestion("How does fighting underwater work?", ("Underwater Combat",), "underwater"),
    RulesQuestion("How do I control a mount in combat?", ("Mounted Combat", "Controlling a Mount"),
                  "control the mount"),
)


def load_questions(path: Path) -> tuple[RulesQuestion, ...]:
    """A frozen question file (`{"questions": [{"question", "facts", "kind"}, …]}`, e.g. the tests' held-out
    set)."""
    rows = json.loads(path.read_text(encoding="utf-8"))["questions"]
    return tuple(RulesQuestion(row["question"], (), "", tuple(row["facts"]), row.get("kind", "rule"))
                 for row in rows)


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[*_]+", "", text)  # Markdown emphasis is not part of the words
    return re.sub(r"\s+", " ", text)


def hit_answers(hit: Hit, question: RulesQuestion) -> bool:
    if question.facts:
        body = _normalise(hit.text)
        return all(_normalise(fact) in body for fact in question.facts)
    wanted = {heading.lower() for heading in question.headings}
    if any(part.lower() in wanted for part in hit.heading_path):
        return True
    for line in hit.text.splitlines():
        title = line.strip().lstrip("#").strip().strip("[]").lower()
        if title in wanted or any(title.endswith(" > " + heading) for heading in wanted):
            return True
    return _normalise(question.phrase) in _normalise(hit.text)


def found_in(hits: Sequence[Hit], question: RulesQuestion) -> bool:
    return any(hit_answers(hit, question) for hit in hits)
