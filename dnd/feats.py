"""Using feats and class/racial abilities that have limited uses (``!use_feat``, ``!use_ability``)."""

from __future__ import annotations

from dnd.character import Character, Resource
from dnd.data.feats import find_feat
from dnd.errors import RulesError


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("’", "'").split()).casefold()


def find_resource(character: Character, name: str) -> tuple[str, int, Resource] | None:
    """("feats" | "abilities", index, resource) for a name, case-insensitively."""
    key = _key(name)
    for field_name in ("feats", "abilities"):
        for i, res in enumerate(getattr(character, field_name)):
            if _key(res.name) == key:
                return field_name, i, res
    return None


def _returns(res: Resource) -> str:
    if res.recovery == "short":
        return "it returns on a short or long rest"
    if res.recovery == "long":
        return "it returns on a long rest"
    return "it does not come back by resting"


def format_uses(res: Resource) -> str:
    """"Lucky: 3/3", "Rage: unlimited", "Sharpshooter"."""
    if res.max_uses is None:
        return res.name if res.source == "feat" and res.recovery == "none" else f"{res.name}: unlimited"
    return f"{res.name}: {res.uses}/{res.max_uses}"


def use_resource(character: Character, name: str, amount: int = 1) -> tuple[Character, str]:
    """Spend ``amount`` uses (Lay on Hands hit points, Ki points...) of a feat or ability.

    Refuses with the reason, e.g. "Lucky has no uses left (0/3); it returns on a long rest".
    A feat or ability without a use limit is always available and costs nothing.
    """
    if amount < 1:
        raise RulesError("Use at least 1.")
    found = find_resource(character, name)
    if found is None:
        kind = "feat" if find_feat(name) else "feat or ability"
        raise RulesError(f"{character.name} doesn't have the {kind} '{name}'.")
    field_name, index, res = found
    if res.max_uses is None or res.uses is None:
        return character, f"{character.name} uses {res.name}."
    if res.uses <= 0:
        raise RulesError(f"{res.name} has no uses left (0/{res.max_uses}); {_returns(res)}.")
    if amount > res.uses:
        raise RulesError(f"{res.name} has only {res.uses} of {res.max_uses} left, not {amount}; "
                         f"{_returns(res)}.")
    items = list(getattr(character, field_name))
    items[index] = res.model_copy(update={"uses": res.uses - amount})
    updated = character.model_copy(update={field_name: items})
    spent = f" ({amount})" if amount > 1 else ""
    return updated, f"{character.name} uses {res.name}{spent}: {res.uses - amount}/{res.max_uses} left."


def restore_resource(character: Character, name: str, amount: int | None = None) -> Character:
    """Give back ``amount`` uses (all when None), never above the maximum."""
    found = find_resource(character, name)
    if found is None:
        raise RulesError(f"{character.name} doesn't have '{name}'.")
    field_name, index, res = found
    if res.max_uses is None:
        return character
    uses = res.max_uses if amount is None else min(res.max_uses, (res.uses or 0) + amount)
    items = list(getattr(character, field_name))
    items[index] = res.model_copy(update={"uses": uses})
    return character.model_copy(update={field_name: items})


def list_feats(character: Character) -> list[str]:
    return [format_uses(f) for f in character.feats]


def list_abilities(character: Character) -> list[str]:
    return [format_uses(a) for a in character.abilities]
