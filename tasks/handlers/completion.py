"""What the Discord front end needs to offer the commands as slash commands: the catalogue of commands (from the
one registry the `!` commands use) and autocomplete choices from the game state (the player's spells and
items, the creatures in the fight, the shop's stock, the compendium's names)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from db import combat as fights
from db import compendium, shops
from db.campaigns import ensure_active_campaign
from db.characters import find_by_player
from db.engine import Session
from db.world import current_location
from dnd.data.conditions import CONDITIONS
from dnd.data.spells import SPELLS
from tasks.handlers import load_all
from tasks.handlers.registry import COMMANDS

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
MAX_CHOICE_CHARS = 100
RULE_TOPICS = ("actions in combat", "carrying capacity", "cover", "death saving throws", "difficult terrain",
               "grappling", "long rest", "opportunity attacks", "short rest", "surprise", "two-weapon fighting")

# Which game state completes the text of a command (the option players type into).
COMPLETES: dict[str, str] = {
    "cast": "spells", "prepare": "spells", "spell": "spell_names", "use_item": "inventory",
    "sell_item": "inventory", "drop_item": "inventory", "trade_item": "inventory",
    "attack": "targets", "skip": "targets", "dm": "targets", "buy_item": "shop", "monster": "monsters",
    "condition": "conditions", "rule": "rules",
}
_PLACEHOLDER = re.compile(r"<([a-z][a-z _|]*)>")


def option_name(usage: str) -> str:
    """The name of the slash command's text option, from the usage's first placeholder (`<spell>` → `spell`)."""
    found = _PLACEHOLDER.search(usage)
    if found is None:
        return "details"
    return re.sub(r"[^a-z0-9_]", "", found.group(1).split("|")[0].strip().replace(" ", "_"))[:32] or "details"


def catalog() -> list[dict[str, Any]]:
    """One entry per command: what the gateway registers as an application command."""
    load_all()
    return [{"name": spec.name, "usage": spec.usage, "summary": spec.summary, "owner_only": spec.owner_only,
             "category": spec.category, "takes_text": " " in spec.usage.split("|")[0].strip() or "|" in spec.usage,
             "option": option_name(spec.usage), "completes": COMPLETES.get(spec.name)}
            for spec in COMMANDS.values()]


def _matching(names: Iterable[str], typed: str) -> list[str]:
    """Names starting with what was typed first, then those containing it; unique, at most 25."""
    key = typed.strip().casefold()
    unique = list(dict.fromkeys(n for n in names if n))
    starts = [n for n in unique if n.casefold().startswith(key)]
    contains = [n for n in unique if key in n.casefold() and n not in starts]
    return [n[:MAX_CHOICE_CHARS] for n in (starts + contains)[:MAX_CHOICES]]


def _character_names(session: Session, player_id: int, kind: str) -> list[str]:
    stored = find_by_player(session, player_id, ensure_active_campaign(session))
    if stored is None:
        return []
    character = stored.character
    if kind == "spells":
        return [*character.cantrips, *character.spells_prepared, *character.spells_known]
    return [item.name for item in character.inventory if item.qty > 0]


def _targets(session: Session, _player_id: int) -> list[str]:
    names: list[str] = []
    for row in fights.active_in_campaign(session, ensure_active_campaign(session), lock=False):
        names += [c.name for c in fights.from_row(row).combatants if not c.dead]
    return names


def _shop(session: Session, _player_id: int) -> list[str]:
    campaign_id = ensure_active_campaign(session)
    row = shops.find_shop(session, campaign_id, current_location(session, campaign_id))
    return [entry.name for entry in shops.stock_of(row).entries if entry.qty > 0] if row is not None else []


def _compendium(kind: str, built_in: Iterable[str]) -> Callable[[Session, int], list[str]]:
    def names(session: Session, _player_id: int) -> list[str]:
        return [*built_in, *compendium.names(session, kind)]
    return names


SOURCES: dict[str, Callable[[Session, int], list[str]]] = {
    "spells": lambda session, player: _character_names(session, player, "spells"),
    "inventory": lambda session, player: _character_names(session, player, "inventory"),
    "targets": _targets,
    "shop": _shop,
    "spell_names": _compendium("spell", SPELLS),
    "monsters": _compendium("monster", ()),
    "conditions": _compendium("condition", CONDITIONS),
    "rules": lambda session, player: [*RULE_TOPICS, *CONDITIONS],
}


def choices(session: Session, player_id: int, command: str, typed: str) -> list[str]:
    """Autocomplete choices for the text option of `command`, from the game state the player can see."""
    source = SOURCES.get(COMPLETES.get(command, ""))
    if source is None:
        return []
    return _matching(source(session, player_id), typed[:MAX_CHOICE_CHARS])
