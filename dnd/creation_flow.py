"""The interactive `!create_character` conversation as a pure state machine.

The state is plain data (stored as JSON in the ``sessions`` table), so any process can resume it. Each step
has a prompt; :func:`answer` takes the player's reply, validates it with :mod:`dnd.creation` and returns the
new state and the text to send back. A refused answer leaves the state as it was and shows the reason.

Steps: name → race (→ subrace, draconic ancestry) → class (→ subclass at 1st level) → ability method
(point buy, standard array, or 4d6-drop-lowest rolled here and shown) → assign scores (→ racial +1 picks)
→ background → skills (→ racial skills, expertise) → languages → tools → cantrips and spells → equipment
package or starting gold → feat (Variant Human) → confirm. ``cancel`` ends it at any step, ``back`` returns
to the previous answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dnd.abilities import modifier, normalize_ability, normalize_skill
from dnd.character import Character, armor_class
from dnd.class_choices import (
    DRAGON_ANCESTOR,
    FAVORED_ENEMY,
    FAVORED_ENEMY_LANGUAGE,
    FIGHTING_STYLE,
    NATURAL_EXPLORER,
    choice_points,
    choice_title,
    choices_text,
    describe_options,
    validate_choice,
)
from dnd.class_choices import options as choice_options
from dnd.creation import (
    CreationChoices,
    can_cast_spells_at_first_level,
    class_proficiencies,
    create_character,
    point_buy_cost,
    racial_bonuses,
    roll_ability_scores,
    roll_starting_gold,
    validate_ability_scores,
    validate_background,
    validate_class,
    validate_expertise,
    validate_feat,
    validate_feat_ability,
    validate_languages,
    validate_race,
    validate_skills,
    validate_spell_choices,
    validate_tools,
)
from dnd.data.backgrounds import BACKGROUNDS
from dnd.data.classes import ALL_SKILLS_LABEL, CLASSES, ClassInfo
from dnd.data.equipment import ARTISAN_TOOLS, MUSICAL_INSTRUMENTS
from dnd.data.feats import FEATS, find_feat
from dnd.data.races import DRACONIC_ANCESTRIES, RACES, SUBRACES, RaceInfo, SubraceInfo, find_race, find_subrace
from dnd.data.skills import ABILITIES, LANGUAGES, SKILLS
from dnd.data.spells import SPELLS
from dnd.data.tables import POINT_BUY_BUDGET, STANDARD_ARRAY
from dnd.errors import RulesError
from dnd.progression import at_level, get_class
from dnd.starting_kit import KitWalk, walk
from dnd.wealth import format_wealth

FlowStatus = Literal["active", "done", "cancelled"]

CANCEL_WORDS = frozenset({"cancel", "quit", "stop", "abort"})
BACK_WORDS = frozenset({"back", "undo", "previous"})
YES_WORDS = frozenset({"yes", "y", "confirm", "ok", "okay", "done", "create", "✅"})
NO_WORDS = frozenset({"no", "n", "nope"})
NONE_WORDS = frozenset({"none", "skip", "nothing", "-", "no"})
MAX_NAME_LENGTH = 64
MAX_ANSWER_CHARS = 500


class CreationState(BaseModel):
    """Where a creation conversation stands: the current step, the answers so far, the steps answered (for
    ``back``), and the finished character once confirmed."""

    model_config = ConfigDict(extra="forbid")

    step: str = "name"
    status: FlowStatus = "active"
    data: dict[str, Any] = Field(default_factory=dict)
    trail: list[str] = Field(default_factory=list)
    character: dict[str, Any] | None = None


# --------------------------------------------------------------------------- parsing helpers


def split_list(text: str) -> list[str]:
    """"Athletics, Perception and Stealth" -> ["Athletics", "Perception", "Stealth"]."""
    parts = re.split(r"\s*(?:,|;|\n|\band\b|&)\s*", text.strip(), flags=re.IGNORECASE)
    return [p.strip(" .") for p in parts if p.strip(" .")]


def is_none(text: str) -> bool:
    return text.strip().casefold() in NONE_WORDS


_ABILITY_WORD = r"(str(?:ength)?|dex(?:terity)?|con(?:stitution)?|int(?:elligence)?|wis(?:dom)?|cha(?:risma)?)"


def parse_scores(text: str) -> dict[str, int]:
    """"STR 15 DEX 14 CON 13 INT 12 WIS 10 CHA 8", "str=15, dex=14, ..." or six numbers in STR..CHA order."""
    pairs = re.findall(_ABILITY_WORD + r"\s*[:=]?\s*(-?\d+)", text, flags=re.IGNORECASE)
    if pairs:
        scores: dict[str, int] = {}
        for name, value in pairs:
            code = normalize_ability(name)
            if code in scores:
                raise RulesError(f"{code} was given twice.")
            scores[code] = int(value)
        return scores
    numbers = re.findall(r"-?\d+", text)
    if len(numbers) != 6:
        raise RulesError("Give six scores, in the order STR DEX CON INT WIS CHA (e.g. `15 14 13 12 10 8`), "
                         "or name them (e.g. `STR 15 DEX 14 CON 13 INT 12 WIS 10 CHA 8`).")
    return {a: int(n) for a, n in zip(ABILITIES, numbers, strict=True)}


def parse_skills(text: str) -> list[str]:
    return [normalize_skill(s) for s in split_list(text)]


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


# --------------------------------------------------------------------------- what the answers mean


def _race(data: dict[str, Any]) -> tuple[RaceInfo | None, SubraceInfo | None]:
    race = find_race(data["race"]) if data.get("race") else None
    sub = find_subrace(data["subrace"]) if data.get("subrace") else None
    return race, sub


def _class(data: dict[str, Any]) -> ClassInfo | None:
    return get_class(data["class_name"]) if data.get("class_name") else None


def final_scores(data: dict[str, Any]) -> dict[str, int]:
    """Base scores plus racial bonuses (as far as they are chosen)."""
    base = dict(data.get("base_scores") or {})
    race, sub = _race(data)
    if not base or race is None:
        return base
    try:
        bonuses = racial_bonuses(race, sub, data.get("ability_choices") or [])
    except RulesError:
        bonuses = {} if sub is not None and sub.replaces_race_bonuses else dict(race.ability_bonuses)
    return {a: base.get(a, 10) + bonuses.get(a, 0) for a in ABILITIES}


def _race_picks_wanted(data: dict[str, Any]) -> int:
    race, sub = _race(data)
    return (race.skill_choices if race else 0) + (sub.skill_choices if sub else 0)


def _filler_skills(exclude: list[str], count: int) -> list[str]:
    return [s for s in SKILLS if s not in exclude][:count]


def _full_skills(data: dict[str, Any]) -> list[str]:
    race, sub = _race(data)
    cls = _class(data)
    bg = validate_background(data["background"])
    assert race is not None and cls is not None
    picks = data.get("skills") or []
    extra = data.get("race_skills")
    if extra is None:
        extra = _filler_skills(list(bg.skills) + list(race.skills) + picks, _race_picks_wanted(data))
    return validate_skills(cls, bg, race, sub, picks, extra)


def _bonus_cantrips(data: dict[str, Any]) -> int:
    _, sub = _race(data)
    return sub.wizard_cantrips if sub else 0


def _max_cantrips(data: dict[str, Any]) -> int:
    cls = _class(data)
    assert cls is not None
    return (at_level(cls.name, 1).cantrips_known or 0) + _bonus_cantrips(data)


def _spell_limit(data: dict[str, Any]) -> int:
    """How many 1st-level spells the class knows, keeps in a spellbook or prepares at 1st level."""
    cls = _class(data)
    assert cls is not None
    row = at_level(cls.name, 1)
    if row.spells_known is not None:
        return row.spells_known
    if cls.name == "Wizard":
        return 6
    if cls.prepares_spells and cls.spellcasting_ability and row.spell_slots:
        return max(1, modifier(final_scores(data).get(cls.spellcasting_ability, 10)) + 1)
    return 0


def choices_of(data: dict[str, Any]) -> CreationChoices:
    """The answers as :class:`CreationChoices` (only those of steps that apply)."""
    fields = {k: v for k, v in data.items() if k in CreationChoices.model_fields}
    picked = {point: data[key] for key, point in _CHOICE_KEYS.items() if data.get(key)}
    kit = {"kit": _kit_answers(data)} if data.get("equipment") == "package" else {}
    return CreationChoices(**fields, **({"class_choices": picked} if picked else {}), **kit)


def build_gold(data: dict[str, Any]) -> int:
    """The starting gold rolled at the equipment step (0 with the equipment package)."""
    cls = _class(data)
    if cls is None or data.get("equipment") != "gold":
        return 0
    return roll_starting_gold(cls.name, random.Random(data.get("gold_seed", 0)))


def build(data: dict[str, Any]) -> Character:
    """The character the answers describe (starting gold comes from the seed rolled at the equipment step)."""
    return create_character(choices_of(data), random.Random(data.get("gold_seed", 0)))


# --------------------------------------------------------------------------- the steps

Handler = Callable[[dict[str, Any], str, random.Random], tuple[dict[str, Any], str]]


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    keys: tuple[str, ...]  # the answers this step owns (cleared when it no longer applies)
    prompt: Callable[[dict[str, Any]], str]
    handle: Handler
    applies: Callable[[dict[str, Any]], bool] = lambda data: True


def _name_prompt(data: dict[str, Any]) -> str:
    return "What is your character's **name**?"


def _name_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    name = " ".join(text.split())
    if not name:
        raise RulesError("Your character needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise RulesError(f"That name is too long ({len(name)} characters; at most {MAX_NAME_LENGTH}).")
    if any(ch in name for ch in "`*_~|<>@#"):
        raise RulesError("A name can't contain the characters ` * _ ~ | < > @ #.")
    return {"name": name}, f"Hail, **{name}**!"


def _race_prompt(data: dict[str, Any]) -> str:
    lines = []
    for race in RACES.values():
        subs = [s for s in race.subraces if s in SUBRACES]
        lines.append(f"• {race.name}" + (f" ({', '.join(subs)})" if subs else ""))
    return "Choose your **race** (you can name the subrace directly, e.g. `Hill Dwarf`):\n" + "\n".join(lines)


def _race_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    sub = find_subrace(text)
    if sub is not None:
        race, subrace = validate_race(sub.race, sub.name)
        return {"race": race.name, "subrace": subrace.name if subrace else None}, f"Race: **{sub.name}**."
    info = find_race(text)
    if info is None:
        validate_race(text)  # raises with the list of races
        raise RulesError(f"Unknown race '{text}'.")
    # A race that needs a subrace is asked for it at the next step.
    return {"race": info.name, "subrace": None}, f"Race: **{info.name}**."


def _needs_subrace(data: dict[str, Any]) -> bool:
    if not data.get("race") or data.get("subrace"):
        return False
    try:
        validate_race(data["race"])
    except RulesError:
        return True
    return False


def _subrace_prompt(data: dict[str, Any]) -> str:
    race = find_race(data["race"])
    assert race is not None
    return f"Choose your **subrace** of {race.name}: {', '.join(race.subraces)}."


def _subrace_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    race_name = data["race"]
    candidate = text if find_subrace(text) else f"{text} {race_name}"
    if find_subrace(candidate) is None:
        candidate = text
    race, sub = validate_race(race_name, candidate)
    assert sub is not None
    return {"subrace": sub.name}, f"Subrace: **{sub.name}**."


def _ancestry_prompt(data: dict[str, Any]) -> str:
    options = ", ".join(f"{k} ({v})" for k, v in DRACONIC_ANCESTRIES.items())
    return f"Choose your **draconic ancestry** (it sets your breath weapon and resistance): {options}."


def _ancestry_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    key = _words(text).removesuffix(" dragon")
    found = next((k for k in DRACONIC_ANCESTRIES if k.casefold() == key), None)
    if found is None:
        raise RulesError(f"Choose a draconic ancestry: {', '.join(DRACONIC_ANCESTRIES)}.")
    return {"draconic_ancestry": found}, f"Draconic ancestry: **{found}** ({DRACONIC_ANCESTRIES[found]})."


def _class_prompt(data: dict[str, Any]) -> str:
    lines = [f"• {c.name} (d{c.hit_die})" for c in CLASSES.values()]
    return "Choose your **class**:\n" + "\n".join(lines)


def _class_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    info = get_class(text.strip())  # raises "Unknown class ... Choose one of: ..."
    note = f"Class: **{info.name}** (hit die d{info.hit_die}, saving throws {' and '.join(info.saving_throws)})."
    return {"class_name": info.name, "subclass": None}, note


def _needs_subclass(data: dict[str, Any]) -> bool:
    cls = _class(data)
    return cls is not None and cls.subclass_level == 1


def _subclass_prompt(data: dict[str, Any]) -> str:
    cls = _class(data)
    assert cls is not None
    return f"A {cls.name} chooses a **{cls.subclass_title}** at 1st level. Available: {cls.subclass}."


def _subclass_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    cls, subclass = validate_class(data["class_name"], text.strip())
    return {"subclass": subclass}, f"{cls.subclass_title}: **{subclass}**."


# The class choices of 1st level (dnd.class_choices), each a step: its answer's key → the choice point.
_CHOICE_KEYS: dict[str, str] = {"fighting_style": FIGHTING_STYLE, "dragon_ancestor": DRAGON_ANCESTOR,
                                 "favored_enemy": FAVORED_ENEMY, "natural_explorer": NATURAL_EXPLORER,
                                 "favored_enemy_language": FAVORED_ENEMY_LANGUAGE}


def _known_languages(data: dict[str, Any]) -> list[str]:
    """The languages the answers so far give (the race's and those chosen)."""
    race, _ = _race(data)
    return [*(race.languages if race else ()), *(data.get("languages") or [])]


def _choice_step(key: str) -> tuple[Callable[[dict[str, Any]], bool], Callable[[dict[str, Any]], str], Handler]:
    """(applies, prompt, handle) of the step that asks the class choice stored under ``key``."""
    point = _CHOICE_KEYS[key]

    def applies(data: dict[str, Any]) -> bool:
        cls = _class(data)
        return cls is not None and point in choice_points(cls.name, 1, data.get("subclass"))

    def taken(data: dict[str, Any]) -> list[str]:
        return _known_languages(data) if point == FAVORED_ENEMY_LANGUAGE else []

    def ask(data: dict[str, Any]) -> str:
        return f"Choose your **{choice_title(point)}**:\n{describe_options(point, data['class_name'], taken(data))}"

    def handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
        found = validate_choice(point, data["class_name"], text, taken(data))
        return {key: found}, f"{point}: **{found}**."

    return applies, ask, handle


def _method_prompt(data: dict[str, Any]) -> str:
    array = " ".join(str(v) for v in STANDARD_ARRAY)
    return ("How do you want to generate your **ability scores**?\n"
            f"• `point buy` — {POINT_BUY_BUDGET} points, scores 8–15 before racial bonuses\n"
            f"• `standard array` — {array}\n"
            "• `roll` — 4d6, drop the lowest die, six times (I roll them now)")


def _method_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    key = _words(text).replace("-", " ").replace("_", " ")
    if key in ("point buy", "pointbuy", "points", "buy", "pb"):
        return {"ability_method": "point_buy", "rolled_scores": []}, "Point buy it is."
    if key in ("standard array", "standard", "array", "sa"):
        return {"ability_method": "standard_array", "rolled_scores": []}, "Standard array it is."
    if key in ("roll", "rolled", "4d6", "4d6 drop lowest", "dice", "random"):
        rolls = roll_ability_scores(rng)
        detail = "\n".join(f"🎲 {r}" for r in rolls)
        totals = [r.total for r in rolls]
        note = (f"Rolling 4d6 and dropping the lowest, six times:\n{detail}\n"
                f"Your scores: **{', '.join(str(t) for t in totals)}**.")
        return {"ability_method": "rolled", "rolled_scores": totals, "rolled_detail": detail}, note
    raise RulesError("Choose `point buy`, `standard array` or `roll`.")


def _scores_prompt(data: dict[str, Any]) -> str:
    method = data.get("ability_method")
    example = "`STR 15 DEX 14 CON 13 INT 12 WIS 10 CHA 8` (or six numbers in that order)"
    if method == "point_buy":
        what = (f"Spend up to {POINT_BUY_BUDGET} points: 8 costs 0, 9→1, 10→2, 11→3, 12→4, 13→5, 14→7, 15→9 "
                "(before racial bonuses).")
    elif method == "standard_array":
        what = f"Assign {', '.join(str(v) for v in STANDARD_ARRAY)} once each."
    else:
        what = f"Assign your rolled scores {', '.join(str(v) for v in data.get('rolled_scores', []))} once each."
    return f"**Assign your ability scores.** {what}\nFor example {example}."


def _scores_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    scores = parse_scores(text)
    full = validate_ability_scores(data["ability_method"], scores, data.get("rolled_scores") or [])
    note = "Scores: " + ", ".join(f"{a} {full[a]}" for a in ABILITIES)
    if data["ability_method"] == "point_buy":
        note += f" ({point_buy_cost(full)} of {POINT_BUY_BUDGET} points spent)"
    return {"base_scores": full, "ability_choices": []}, note + "."


def _racial_choice_count(data: dict[str, Any]) -> int:
    race, sub = _race(data)
    return (race.ability_choices if race else 0) + (sub.ability_choices if sub else 0)


def _racial_prompt(data: dict[str, Any]) -> str:
    race, sub = _race(data)
    assert race is not None
    label = sub.name if sub and sub.ability_choices else race.name
    n = _racial_choice_count(data)
    excluded = f" other than {', '.join(race.ability_bonuses)}" if race.ability_choices else ""
    return f"As a {label}, choose **{n} different abilities**{excluded} to increase by 1 (e.g. `STR, CON`)."


def _racial_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    picks = [normalize_ability(p) for p in split_list(text)]
    race, sub = _race(data)
    assert race is not None
    racial_bonuses(race, sub, picks)
    return {"ability_choices": picks}, "Increases: " + ", ".join(f"{p} +1" for p in picks) + "."


def _background_prompt(data: dict[str, Any]) -> str:
    lines = [f"• {b.name} — skills {', '.join(b.skills)}; {b.summary}" for b in BACKGROUNDS.values()]
    return "Choose your **background**:\n" + "\n".join(lines)


def _background_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    bg = validate_background(text)
    return {"background": bg.name}, f"Background: **{bg.name}** (you gain {', '.join(bg.skills)})."


def _skill_options(data: dict[str, Any]) -> tuple[int, list[str], list[str]]:
    cls = _class(data)
    race, _ = _race(data)
    bg = validate_background(data["background"])
    assert cls is not None and race is not None
    granted = list(bg.skills) + [s for s in race.skills if s not in bg.skills]
    options = list(SKILLS) if ALL_SKILLS_LABEL in cls.skill_options else list(cls.skill_options)
    return cls.skill_count, [s for s in options if s not in granted], granted


def _skills_prompt(data: dict[str, Any]) -> str:
    count, options, granted = _skill_options(data)
    cls = _class(data)
    assert cls is not None
    return (f"You already have {', '.join(granted)}. As a {cls.name}, choose **{count} skills** from: "
            f"{', '.join(options)} (separated by commas).")


def _skills_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    picks = parse_skills(text)
    _full_skills({**data, "skills": picks, "race_skills": None})
    return {"skills": picks, "race_skills": []}, "Skills: " + ", ".join(picks) + "."


def _race_skills_prompt(data: dict[str, Any]) -> str:
    n = _race_picks_wanted(data)
    have = _full_skills({**data, "race_skills": None})[: -n or None]
    options = [s for s in SKILLS if s not in have]
    return f"Your race grants **{n} extra skill(s)** of any kind: choose from {', '.join(options)}."


def _race_skills_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    picks = parse_skills(text)
    _full_skills({**data, "race_skills": picks})
    return {"race_skills": picks}, "Extra skills: " + ", ".join(picks) + "."


def _needs_expertise(data: dict[str, Any]) -> bool:
    cls = _class(data)
    return cls is not None and "Expertise" in at_level(cls.name, 1).features


def _expertise_prompt(data: dict[str, Any]) -> str:
    skills = _full_skills(data)
    return ("Choose **2 of your skills for Expertise** (double proficiency bonus); Thieves' Tools also count. "
            f"Your skills: {', '.join(skills)}.")


def _expertise_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    cls = _class(data)
    assert cls is not None
    chosen = split_list(text)
    picks = validate_expertise(cls, 1, _full_skills(data), list(cls.tools), chosen)
    return {"expertise": picks}, "Expertise: " + ", ".join(picks) + "."


def _languages_wanted(data: dict[str, Any]) -> int:
    race, sub = _race(data)
    bg = validate_background(data["background"]) if data.get("background") else None
    return ((race.extra_languages if race else 0) + (sub.extra_languages if sub else 0)
            + (bg.languages if bg else 0))


def _languages_prompt(data: dict[str, Any]) -> str:
    race, _ = _race(data)
    known = list(race.languages) if race else []
    options = [lang for lang in LANGUAGES if lang not in known]
    return (f"You speak {', '.join(known)}. Choose **{_languages_wanted(data)} more language(s)**: "
            f"{', '.join(options)}.")


def _languages_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    race, sub = _race(data)
    assert race is not None
    picks = split_list(text)
    validate_languages(race, sub, validate_background(data["background"]), picks)
    names = [next(lang for lang in LANGUAGES if lang.casefold() == p.casefold()) for p in picks]
    return {"languages": names}, "Languages: " + ", ".join(names) + "."


def _needs_tools(data: dict[str, Any]) -> bool:
    cls = _class(data)
    return cls is not None and cls.tool_choices > 0


def _tools_prompt(data: dict[str, Any]) -> str:
    cls = _class(data)
    assert cls is not None
    if cls.tool_options == "instrument":
        options, what = MUSICAL_INSTRUMENTS, "musical instruments"
    else:
        options, what = ARTISAN_TOOLS + MUSICAL_INSTRUMENTS, "artisan's tool or musical instrument"
    return f"As a {cls.name}, choose **{cls.tool_choices} {what}** to be proficient with: {', '.join(options)}."


def _tools_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    cls = _class(data)
    race, _ = _race(data)
    assert cls is not None and race is not None
    picks = split_list(text)
    filler = race.tool_choices[0] if race.tool_choices else None
    tools = validate_tools(cls, race, picks, filler)
    chosen = tools[: len(picks)]
    return {"tools": chosen}, "Tool proficiencies: " + ", ".join(chosen) + "."


def _needs_race_tool(data: dict[str, Any]) -> bool:
    race, _ = _race(data)
    return race is not None and bool(race.tool_choices)


def _race_tool_prompt(data: dict[str, Any]) -> str:
    race, _ = _race(data)
    assert race is not None
    return f"As a {race.name}, choose **one tool** to be proficient with: {', '.join(race.tool_choices)}."


def _race_tool_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    cls = _class(data)
    race, _ = _race(data)
    assert cls is not None and race is not None
    tools = validate_tools(cls, race, data.get("tools") or [], text.strip())
    return {"race_tool": tools[-1]}, f"Tool proficiency: {tools[-1]}."


def _needs_cantrips(data: dict[str, Any]) -> bool:
    return _class(data) is not None and _max_cantrips(data) > 0


def _cantrips_prompt(data: dict[str, Any]) -> str:
    cls = _class(data)
    assert cls is not None
    n = _max_cantrips(data)
    known = [s.name for s in SPELLS.values() if s.level == 0 and cls.name in s.classes]
    extra = " (your High Elf cantrip comes from the Wizard list)" if _bonus_cantrips(data) else ""
    return (f"Choose up to **{n} cantrip(s)**{extra}, separated by commas, or `none`. "
            f"For example: {', '.join(known) or 'any from the SRD'}.")


def _cantrips_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    cls = _class(data)
    assert cls is not None
    picks = [] if is_none(text) else split_list(text)
    validate_spell_choices(cls, final_scores(data), picks, [], bonus_cantrips=_bonus_cantrips(data))
    return {"cantrips": picks}, ("Cantrips: " + ", ".join(picks) + ".") if picks else "No cantrips for now."


def _needs_spells(data: dict[str, Any]) -> bool:
    return _class(data) is not None and data.get("base_scores") is not None and _spell_limit(data) > 0


def _spells_prompt(data: dict[str, Any]) -> str:
    cls = _class(data)
    assert cls is not None
    n = _spell_limit(data)
    known = [s.name for s in SPELLS.values() if s.level == 1 and cls.name in s.classes]
    what = ("spells for your spellbook" if cls.name == "Wizard"
            else "prepared spells" if cls.prepares_spells else "spells known")
    return (f"Choose up to **{n} 1st-level {what}**, separated by commas, or `none`. "
            f"For example: {', '.join(known) or 'any from the SRD'}.")


def _spells_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    cls = _class(data)
    assert cls is not None
    picks = [] if is_none(text) else split_list(text)
    validate_spell_choices(cls, final_scores(data), data.get("cantrips") or [], picks,
                           bonus_cantrips=_bonus_cantrips(data))
    return {"spells": picks}, ("Spells: " + ", ".join(picks) + ".") if picks else "No spells for now."


def _equipment_prompt(data: dict[str, Any]) -> str:
    cls = _class(data)
    assert cls is not None
    dice, mult = cls.starting_gold
    return ("**Equipment**: reply `package` for the class's starting equipment (you choose each of its options "
            f"next) or `gold` to roll {dice}d4 × {mult} gp instead and buy your own. "
            "Either way you also get your background's kit.")


# The starting equipment's (a)/(b) choices and picks (dnd.starting_kit), one step each, answers under kit_1, kit_2...
KIT_STEPS = tuple(f"kit_{n}" for n in range(1, 8))


def _kit_answers(data: dict[str, Any]) -> list[str]:
    return [data[step] for step in KIT_STEPS if data.get(step)]


def _kit_walk(data: dict[str, Any], answers: list[str]) -> KitWalk:
    return walk(data["class_name"], answers, class_proficiencies(data["class_name"], data.get("subclass")))


def _kit_step(number: int) -> tuple[Callable[[dict[str, Any]], bool], Callable[[dict[str, Any]], str], Handler]:
    """(applies, prompt, handle) of the starting-equipment question asked ``number``-th."""
    earlier = KIT_STEPS[:number - 1]

    def before(data: dict[str, Any]) -> list[str]:
        return [data[step] for step in earlier if data.get(step)]

    def applies(data: dict[str, Any]) -> bool:
        if data.get("equipment") != "package" or _class(data) is None or len(before(data)) != number - 1:
            return False
        try:
            return _kit_walk(data, before(data)).question is not None
        except RulesError:
            return False

    def ask(data: dict[str, Any]) -> str:
        question = _kit_walk(data, before(data)).question
        assert question is not None
        return question.text

    def handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
        done = _kit_walk(data, [*before(data), text])
        got = ", ".join(f"{name} ×{qty}" if qty > 1 else name for name, qty in done.items)
        return {KIT_STEPS[number - 1]: text}, f"Your starting equipment so far: {got}."

    return applies, ask, handle


def _kit_menu(data: dict[str, Any], step: str) -> list[str]:
    number = KIT_STEPS.index(step) + 1
    question = _kit_walk(data, [data[s] for s in KIT_STEPS[:number - 1] if data.get(s)]).question
    return list(question.menu) if question else []


def _equipment_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    key = _words(text)
    cls = _class(data)
    assert cls is not None
    if key in ("package", "equipment", "pack", "kit", "class package", "equipment package", "p"):
        return {"equipment": "package", "gold_seed": 0}, "You take the class equipment package."
    if key in ("gold", "starting gold", "coins", "money", "g"):
        seed = rng.randrange(1, 2**31)
        gold = roll_starting_gold(cls.name, random.Random(seed))
        dice, mult = cls.starting_gold
        return ({"equipment": "gold", "gold_seed": seed},
                f"🎲 Starting gold ({dice}d4 × {mult}): **{gold} gp**.")
    raise RulesError("Reply `package` for the class equipment or `gold` for starting gold.")


def _needs_feat(data: dict[str, Any]) -> bool:
    _, sub = _race(data)
    return bool(sub and sub.feat)


def _can_cast(data: dict[str, Any]) -> bool:
    race, sub = _race(data)
    cls = _class(data)
    return bool(cls and race and can_cast_spells_at_first_level(cls, race, sub))


def _feat_prompt(data: dict[str, Any]) -> str:
    lines = [f"• {f.name} — {f.summary}" for f in FEATS.values()]
    return "As a Variant Human you choose a **feat**:\n" + "\n".join(lines)


def _feat_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    info = validate_feat(text.strip(), final_scores(data), allowed=True, can_cast=_can_cast(data))
    assert info is not None
    return {"feat": info.name, "feat_ability": None}, f"Feat: **{info.name}**."


def _needs_feat_ability(data: dict[str, Any]) -> bool:
    info = find_feat(data["feat"]) if data.get("feat") else None
    return info is not None and bool(info.ability_choice)


def _feat_ability_prompt(data: dict[str, Any]) -> str:
    info = find_feat(data["feat"])
    assert info is not None
    return f"{info.name} increases one ability by 1: choose {' or '.join(info.ability_choice)}."


def _feat_ability_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    code = validate_feat_ability(find_feat(data["feat"]), text.strip())
    return {"feat_ability": code}, f"{code} +1."


def describe(character: Character) -> str:
    """A short summary of a built character (shown before confirming)."""
    scores = ", ".join(f"{a} {character.ability_scores[a]} ({modifier(character.ability_scores[a]):+d})"
                       for a in ABILITIES)
    cls = ", ".join(f"{c} {lvl}" for c, lvl in character.class_levels.items())
    sub = f" ({', '.join(character.subclasses.values())})" if character.subclasses else ""
    race = character.subrace or character.race
    lines = [
        f"**{character.name}** — {race} {cls}{sub}, {character.background}",
        f"Scores: {scores}",
        f"HP {character.max_hp}, AC {armor_class(character)}, proficiency +{character.proficiency_bonus}",
        f"Skills: {', '.join(character.skills)}" + (f" (expertise: {', '.join(character.expertise)})"
                                                     if character.expertise else ""),
        f"Languages: {', '.join(character.languages)}",
    ]
    if character.feats:
        lines.append("Feats: " + ", ".join(f.name for f in character.feats))
    if choices_text(character):
        lines.append(f"Class choices: {choices_text(character)}")
    if character.cantrips or character.spells_known or character.spells_prepared:
        spells = character.cantrips + [s for s in character.spells_known + character.spells_prepared]
        lines.append("Spells: " + ", ".join(dict.fromkeys(spells)))
    items = ", ".join(f"{i.name} ×{i.qty}" if i.qty > 1 else i.name for i in character.inventory)
    lines.append(f"Equipment: {items or 'none'}; {format_wealth(character.wealth)}")
    return "\n".join(lines)


def _confirm_prompt(data: dict[str, Any]) -> str:
    try:
        character = build(data)
    except RulesError as error:
        return f"Something doesn't fit: {error} Type `back` to change an answer, or `cancel`."
    return f"{describe(character)}\n\nReply `yes` to create this character, `back` to change the last answer, " \
           "or `cancel`."


def _confirm_handle(data: dict[str, Any], text: str, rng: random.Random) -> tuple[dict[str, Any], str]:
    raise AssertionError("confirm is handled by answer()")


STEPS: tuple[Step, ...] = (
    Step("name", "Name", ("name",), _name_prompt, _name_handle),
    Step("race", "Race", ("race", "subrace"), _race_prompt, _race_handle),
    Step("subrace", "Subrace", (), _subrace_prompt, _subrace_handle, _needs_subrace),
    Step("ancestry", "Draconic ancestry", ("draconic_ancestry",), _ancestry_prompt, _ancestry_handle,
         lambda d: d.get("race") == "Dragonborn"),
    Step("class", "Class", ("class_name", "subclass"), _class_prompt, _class_handle),
    Step("subclass", "Subclass", (), _subclass_prompt, _subclass_handle, _needs_subclass),
    Step("fighting_style", "Fighting Style", ("fighting_style",), *_choice_step("fighting_style")[1:],
         _choice_step("fighting_style")[0]),
    Step("dragon_ancestor", "Dragon Ancestor", ("dragon_ancestor",), *_choice_step("dragon_ancestor")[1:],
         _choice_step("dragon_ancestor")[0]),
    Step("favored_enemy", "Favored Enemy", ("favored_enemy",), *_choice_step("favored_enemy")[1:],
         _choice_step("favored_enemy")[0]),
    Step("natural_explorer", "Natural Explorer", ("natural_explorer",), *_choice_step("natural_explorer")[1:],
         _choice_step("natural_explorer")[0]),
    Step("method", "Ability scores", ("ability_method", "rolled_scores", "rolled_detail"), _method_prompt,
         _method_handle),
    Step("scores", "Assign scores", ("base_scores",), _scores_prompt, _scores_handle),
    Step("racial", "Racial increases", ("ability_choices",), _racial_prompt, _racial_handle,
         lambda d: _racial_choice_count(d) > 0),
    Step("background", "Background", ("background",), _background_prompt, _background_handle),
    Step("skills", "Skills", ("skills",), _skills_prompt, _skills_handle),
    Step("race_skills", "Racial skills", ("race_skills",), _race_skills_prompt, _race_skills_handle,
         lambda d: _race_picks_wanted(d) > 0),
    Step("expertise", "Expertise", ("expertise",), _expertise_prompt, _expertise_handle, _needs_expertise),
    Step("languages", "Languages", ("languages",), _languages_prompt, _languages_handle,
         lambda d: _languages_wanted(d) > 0),
    Step("favored_enemy_language", "Favored Enemy's language", ("favored_enemy_language",),
         *_choice_step("favored_enemy_language")[1:], _choice_step("favored_enemy_language")[0]),
    Step("tools", "Tools", ("tools",), _tools_prompt, _tools_handle, _needs_tools),
    Step("race_tool", "Racial tool", ("race_tool",), _race_tool_prompt, _race_tool_handle, _needs_race_tool),
    Step("cantrips", "Cantrips", ("cantrips",), _cantrips_prompt, _cantrips_handle, _needs_cantrips),
    Step("spells", "Spells", ("spells",), _spells_prompt, _spells_handle, _needs_spells),
    Step("equipment", "Equipment", ("equipment", "gold_seed"), _equipment_prompt, _equipment_handle),
    *(Step(step, "Starting equipment", (step,), *_kit_step(n)[1:], _kit_step(n)[0])
      for n, step in enumerate(KIT_STEPS, start=1)),
    Step("feat", "Feat", ("feat",), _feat_prompt, _feat_handle, _needs_feat),
    Step("feat_ability", "Feat increase", ("feat_ability",), _feat_ability_prompt, _feat_ability_handle,
         _needs_feat_ability),
    Step("confirm", "Confirm", (), _confirm_prompt, _confirm_handle),
)
STEP_NAMES: tuple[str, ...] = tuple(s.name for s in STEPS)
_BY_NAME: dict[str, Step] = {s.name: s for s in STEPS}


# A step that takes one of a short list offers it as a menu (a select menu on Discord, buttons at the local table);
# what the player picks is sent as their answer, exactly as if typed. Free-text steps offer none.
MAX_MENU_CHOICES = 25  # Discord's limit for a select menu
_MENUS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "race": lambda data: [name for race in RACES.values() for name in _race_menu(race)],
    "subrace": lambda data: list(race.subraces) if (race := find_race(data.get("race") or "")) else [],
    "ancestry": lambda data: list(DRACONIC_ANCESTRIES),
    "fighting_style": lambda data: list(choice_options(FIGHTING_STYLE, data.get("class_name") or "")),
    "dragon_ancestor": lambda data: list(DRACONIC_ANCESTRIES),
    "favored_enemy": lambda data: list(choice_options(FAVORED_ENEMY, "Ranger")),
    "natural_explorer": lambda data: list(choice_options(NATURAL_EXPLORER, "Ranger")),
    "favored_enemy_language": lambda data: [lang for lang in choice_options(FAVORED_ENEMY_LANGUAGE, "Ranger")
                                            if lang not in _known_languages(data)],
    "class": lambda data: list(CLASSES),
    "method": lambda data: ["point buy", "standard array", "roll"],
    "background": lambda data: [b.name for b in BACKGROUNDS.values()],
    "equipment": lambda data: ["package", "gold"],
    **{step: (lambda data, step=step: _kit_menu(data, step)) for step in KIT_STEPS},
    "confirm": lambda data: ["yes", "back", "cancel"],
}


def _race_menu(race: RaceInfo) -> list[str]:
    """A race by itself where it needs no subrace, and each of its subraces."""
    try:
        validate_race(race.name)
        alone = [race.name]
    except RulesError:
        alone = []
    return alone + [s for s in race.subraces if s in SUBRACES]


def menu(state: CreationState) -> list[str]:
    """The answers the current step can take, when they are few enough for a menu (else none)."""
    pick = _MENUS.get(state.step) if state.status == "active" else None
    options = pick(state.data) if pick is not None else []
    return options if 0 < len(options) <= MAX_MENU_CHOICES else []


def prompt(state: CreationState) -> str:
    """The question of the current step, headed by its title."""
    if state.status != "active":
        return ""
    step = _BY_NAME[state.step]
    return f"**Character creation — {step.title}**\n{step.prompt(state.data)}"


def start() -> tuple[CreationState, str]:
    state = CreationState()
    intro = ("Let's create your character! Answer each question here. Type `back` to change the previous "
             "answer or `cancel` to stop at any time.\n\n")
    return state, intro + prompt(state)


def _next(data: dict[str, Any], after: str) -> tuple[str, dict[str, Any]]:
    """The first step after ``after`` that applies; the answers of skipped steps are dropped."""
    data = dict(data)
    index = STEP_NAMES.index(after) + 1
    for step in STEPS[index:]:
        if step.applies(data):
            return step.name, data
        for key in step.keys:
            data.pop(key, None)
    return "confirm", data


def answer(state: CreationState, text: str, rng: random.Random) -> tuple[CreationState, str]:
    """Advance the conversation with the player's reply. Refusals keep the state and explain why."""
    if state.status != "active":
        return state, "This character creation is already finished."
    text = text.strip()
    key = _words(text)
    if key in CANCEL_WORDS:
        return state.model_copy(update={"status": "cancelled"}), \
            "Character creation cancelled. Nothing was saved. Type `!create_character` to start again."
    if key in BACK_WORDS:
        if not state.trail:
            return state, "You're at the first question.\n\n" + prompt(state)
        previous = state.trail[-1]
        back = state.model_copy(update={"step": previous, "trail": state.trail[:-1]})
        return back, "Going back.\n\n" + prompt(back)
    if not text:
        return state, prompt(state)
    if len(text) > MAX_ANSWER_CHARS:
        return state, f"❌ That answer is too long (at most {MAX_ANSWER_CHARS} characters).\n\n{prompt(state)}"
    step = _BY_NAME[state.step]
    if step.name == "confirm":
        return _confirm(state, key)
    try:
        updates, note = step.handle(state.data, text, rng)
    except (RulesError, ValueError) as error:
        return state, f"❌ {error}\n\n{prompt(state)}"
    data = {**state.data, **updates}
    next_step, data = _next(data, step.name)
    advanced = state.model_copy(update={"step": next_step, "data": data, "trail": [*state.trail, step.name]})
    return advanced, f"✅ {note}\n\n{prompt(advanced)}"


def _confirm(state: CreationState, key: str) -> tuple[CreationState, str]:
    if key in NO_WORDS:
        return state, "Type `back` to change an answer, `cancel` to stop, or `yes` to create the character."
    if key not in YES_WORDS:
        return state, "Reply `yes` to create this character, `back` to change an answer, or `cancel`."
    try:
        character = build(state.data)
    except RulesError as error:
        return state, f"❌ {error} Type `back` to change an answer."
    done = state.model_copy(update={"status": "done", "character": character.model_dump(mode="json")})
    return done, (f"🎉 **{character.name}** is ready: {character.subrace or character.race} "
                  f"{next(iter(character.class_levels))} 1 with {character.max_hp} HP. "
                  "Type `!my_sheet` in the channel to see your sheet.")


def finished_character(state: CreationState) -> Character:
    if state.status != "done" or state.character is None:
        raise RulesError("The character isn't finished yet.")
    return Character.model_validate(state.character)


__all__ = [
    "STEPS", "STEP_NAMES", "CreationState", "answer", "build", "choices_of", "describe", "finished_character",
    "parse_scores", "prompt", "split_list", "start",
]
