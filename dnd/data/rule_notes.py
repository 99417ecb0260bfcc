"""The engine's own notes on the rules it implements, in our words: what `!rule` answers from when no rulebook
is indexed. Each note says how this engine plays the rule (the numbers are the 5e ones it computes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from dnd.data.conditions import CONDITIONS


@dataclass(frozen=True)
class RuleNote:
    topic: str
    keywords: tuple[str, ...]
    text: str


_NOTES: Final[tuple[RuleNote, ...]] = (
    RuleNote("Actions in combat", ("action", "actions", "turn", "bonus", "reaction", "dash", "dodge", "disengage",
                                   "help", "hide", "ready", "combat"),
             "On your turn you move up to your speed and take one action: attack, cast a spell, Dash (double "
             "movement), Disengage (no opportunity attacks), Dodge (attacks against you have disadvantage), Help, "
             "Hide, Ready or use an object. Some features give a bonus action; a reaction (such as an opportunity "
             "attack or the Shield spell) can happen once per round, even on another creature's turn. Here: "
             "`!attack`, `!cast`, `!use_item`, `!end_turn`."),
    RuleNote("Attack rolls", ("attack", "hit", "roll", "critical", "crit", "advantage", "disadvantage", "natural"),
             "An attack roll is a d20 plus the ability modifier (Strength for melee, Dexterity for ranged and "
             "finesse weapons) plus your proficiency bonus if proficient; it hits when the total reaches the "
             "target's AC. A natural 20 always hits and is a critical hit (roll the damage dice twice); a natural "
             "1 always misses. Advantage rolls two d20s and keeps the higher, disadvantage the lower; both cancel."),
    RuleNote("Initiative", ("initiative", "order", "surprise", "start", "fight"),
             "When a fight starts everyone rolls initiative, a d20 plus the Dexterity modifier, and acts from the "
             "highest down; ties go to the higher Dexterity. Surprised creatures can't act on their first turn. "
             "Here: `!initiative`, and the owner adds creatures with `!initiative add <monster> [count]`."),
    RuleNote("Opportunity attacks", ("opportunity", "leave", "reach", "move", "movement", "provoke"),
             "Moving out of an enemy's reach provokes an opportunity attack: it may use its reaction for one melee "
             "attack. Disengaging, teleporting or being moved without using your own movement doesn't provoke."),
    RuleNote("Damage and healing", ("damage", "resistance", "vulnerability", "immunity", "resist", "heal",
                                    "healing", "hit", "points", "temporary"),
             "Damage reduces hit points; resistance halves damage of a type (rounded down), vulnerability doubles "
             "it, immunity ignores it. Healing can't raise you above your maximum. Temporary hit points are lost "
             "first, don't stack (keep the larger) and can't be healed."),
    RuleNote("Dropping to 0 hit points", ("zero", "unconscious", "dying", "instant", "death", "massive", "0"),
             "At 0 hit points you fall unconscious and start making death saving throws. Damage that leaves you at "
             "0 with enough left over to equal your hit point maximum kills you outright. Any healing wakes you."),
    RuleNote("Death saving throws", ("death", "saving", "save", "saves", "dying", "stabilize", "stable"),
             "At the start of each of your turns at 0 hit points, roll a d20: 10 or more is a success, less a "
             "failure; three successes make you stable, three failures kill you. A natural 20 brings you back "
             "with 1 hit point, a natural 1 counts as two failures, and damage while down is a failure (a "
             "critical hit two). A DC 10 Medicine check or a healer's kit stabilizes a dying creature."),
    RuleNote("Resting", ("rest", "short", "long", "hit", "dice", "sleep", "recover", "slots"),
             "A short rest (an hour) lets you spend hit dice: each heals its roll plus your Constitution "
             "modifier; warlock pact slots and some features come back. A long rest (8 hours, once a day) restores "
             "all hit points, up to half your hit dice (at least one) and all spell slots, and lowers exhaustion "
             "by one. Here: `!rest short`, `!rest long`."),
    RuleNote("Spellcasting", ("spell", "spells", "cast", "slot", "slots", "cantrip", "concentration", "upcast",
                              "ritual", "dc"),
             "Casting a levelled spell spends a slot of its level or higher (a higher slot often adds dice); "
             "cantrips are free and grow at 5th, 11th and 17th level. Spell save DC = 8 + proficiency + your "
             "spellcasting modifier; spell attack = proficiency + that modifier. Concentration: one such spell at "
             "a time; taking damage calls for a Constitution save (DC 10 or half the damage, whichever is higher) "
             "to keep it. Here: `!cast Magic Missile at 2`, `!cast Fire Bolt at goblin 1`, `!spell <name>`."),
    RuleNote("Cover", ("cover", "behind", "wall", "half", "three", "quarters", "total"),
             "Half cover (a low wall, another creature) gives +2 to AC and Dexterity saves; three-quarters cover "
             "(an arrow slit) +5; total cover means you can't be targeted directly."),
    RuleNote("Saving throws and ability checks", ("check", "checks", "skill", "skills", "saving", "throw", "dc",
                                                   "proficiency", "ability"),
             "A check or save is a d20 plus the ability modifier, plus proficiency when proficient in the skill or "
             "save, against a DC (easy 10, medium 15, hard 20). Passive Perception is 10 + your Perception "
             "bonus. Here: `!check <skill>`, `!save <ability>`."),
    RuleNote("Carrying capacity", ("carry", "carrying", "weight", "encumbrance", "encumbered", "capacity", "lift",
                                   "push", "drag"),
             "You can carry 15 times your Strength score in pounds; pushing, dragging or lifting up to twice that. "
             "The engine counts the weight of your inventory against it."),
    RuleNote("Light and vision", ("light", "dark", "darkness", "dim", "darkvision", "vision", "see", "torch",
                                  "lantern", "blindsight"),
             "Bright light lets you see normally; dim light lightly obscures (disadvantage on Perception by "
             "sight); darkness heavily obscures (effectively blinded). Darkvision treats darkness within its range "
             "as dim light. A torch lights 20 feet brightly and 20 more dimly for an hour; a hooded lantern 30 and "
             "30 for 6 hours a pint of oil."),
    RuleNote("Travel pace", ("travel", "pace", "fast", "slow", "normal", "miles", "journey", "march", "day"),
             "Fast pace: 4 miles an hour, 30 a day, −5 to passive Perception. Normal: 3 miles an hour, 24 a day. "
             "Slow: 2 miles an hour, 18 a day, and you can move stealthily. Marching over 8 hours a day risks "
             "exhaustion (a Constitution save each extra hour)."),
    RuleNote("Exhaustion", ("exhaustion", "exhausted", "tired", "fatigue"),
             "Exhaustion has six levels: 1 disadvantage on ability checks; 2 speed halved; 3 disadvantage on "
             "attacks and saves; 4 hit point maximum halved; 5 speed 0; 6 death. A long rest with food and water "
             "lowers it by one."),
    RuleNote("Grappling and shoving", ("grapple", "grappling", "grappled", "shove", "shoving", "push", "prone",
                                       "escape"),
             "Instead of one attack you can grapple (your Athletics against the target's Athletics or Acrobatics; "
             "its speed becomes 0) or shove it (knock it prone or push it 5 feet). It escapes with an action and "
             "the same contest."),
    RuleNote("Buying and selling", ("buy", "sell", "shop", "gold", "price", "coins", "money", "trade"),
             "Shops sell at their listed price (change is given in coins: 1 gp = 10 sp = 100 cp) and buy "
             "equipment back at half price; trade goods fetch their full value. Here: `!shop_list`, `!buy_item`, "
             "`!sell_item`."),
)


def _conditions_note() -> RuleNote:
    lines = "; ".join(f"{c.name}: {c.summary}" for c in CONDITIONS.values())
    return RuleNote("Conditions", ("condition", "conditions", *(c.name.casefold() for c in CONDITIONS.values())),
                    f"The conditions the engine tracks — {lines}")


RULE_NOTES: Final[tuple[RuleNote, ...]] = (*_NOTES, _conditions_note())
_STOP: Final[frozenset[str]] = frozenset({"how", "does", "do", "what", "the", "a", "an", "is", "are", "work", "works",
                                          "i", "can", "you", "my", "of", "in", "on", "to", "when", "and", "or",
                                          "with", "rule", "rules", "it"})


def find_notes(question: str, n: int = 2) -> list[RuleNote]:
    """The notes that answer a question best (by shared keywords; the topic's own words count double)."""
    words = [w for w in re.findall(r"[a-z0-9]+", question.casefold()) if w not in _STOP]
    stems = {w.rstrip("s") for w in words} | set(words)
    scored = []
    for note in RULE_NOTES:
        keys = {k.rstrip("s") for k in note.keywords} | set(note.keywords)
        topic = {w.rstrip("s") for w in re.findall(r"[a-z0-9]+", note.topic.casefold())}
        score = len(stems & keys) + 2 * len(stems & topic)
        if score:
            scored.append((score, -RULE_NOTES.index(note), note))
    scored.sort(reverse=True)
    return [note for _, _, note in scored[:n]]
