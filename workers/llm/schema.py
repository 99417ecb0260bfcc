"""The model's structured output: `{"narration": str, "updates": [Update, ...]}`.

Everything a model says is untrusted (../shared/ARCHITECTURE.md §6). The updates form an ALLOW-LIST of small, bounded
proposals; `turns.apply` re-checks each against the game state (an `hp_change` is clamped to the damage
the engine rolled, an `action` is executed by the engine with all its checks, the actor must be the
player who spoke). Nothing here can grant items or gold, change ownership, or name another campaign.

`parse_model_output` is tolerant where tolerance is safe (code fences, chatter around the JSON, one bad
update among good ones) and strict where it matters (each update validates against the allow-list with
`extra="forbid"`, or it is dropped with a reason).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from dnd.stated_actions import MAX_QUANTITY as MAX_STATED_QUANTITY
from dnd.stated_actions import ActionKind, Clarification, StatedAction

MAX_NARRATION_CHARS = 4000
MAX_UPDATES = 10
MAX_HP_DELTA = 999  # no creature in the SRD has more HP; the apply step bounds it by the rolled damage
MAX_NAME_CHARS = 80
MAX_FLAG_NAME_CHARS = 64
MAX_FLAG_STR_CHARS = 200
MAX_QUESTION_CHARS = 300

SrdCondition = Literal[
    "blinded",
    "charmed",
    "deafened",
    "exhaustion",
    "frightened",
    "grappled",
    "incapacitated",
    "invisible",
    "paralyzed",
    "petrified",
    "poisoned",
    "prone",
    "restrained",
    "stunned",
    "unconscious",
]
SRD_CONDITIONS: tuple[str, ...] = get_args(SrdCondition)
ACTION_KINDS: tuple[str, ...] = get_args(ActionKind)
UPDATE_TYPES: tuple[str, ...] = (
    "hp_change",
    "condition",
    "plot_flag",
    "npc_attitude",
    "scene",
    "action",
    "clarify",
    "encounter",
    "monster_action",
)
PlayerId = Annotated[StrictInt, Field(ge=0)]
ShortName = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=r"^[^\r\n\t]+$")]
FLAG_NAME_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"

# Actions whose meaning needs an item / a spell; without one they are not actionable.
_ITEM_ACTIONS = frozenset({"use_item", "buy", "sell", "drop", "pick_up"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class HpChangeUpdate(_Strict):
    """Damage (negative) or healing (positive) the narration implies; clamped again by the apply step."""

    type: Literal["hp_change"]
    target_player_id: PlayerId
    amount: Annotated[StrictInt, Field(ge=-MAX_HP_DELTA, le=MAX_HP_DELTA)]


class ConditionUpdate(_Strict):
    type: Literal["condition"]
    target_player_id: PlayerId
    condition: SrdCondition
    action: Literal["add", "remove"]

    @field_validator("condition", mode="before")
    @classmethod
    def _lowercase_condition(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class PlotFlagUpdate(_Strict):
    type: Literal["plot_flag"]
    name: Annotated[str, Field(min_length=1, max_length=MAX_FLAG_NAME_CHARS, pattern=FLAG_NAME_PATTERN)]
    # Strict members so `true` stays a bool and "1" stays a string (no silent coercion).
    value: (
        StrictBool
        | Annotated[StrictInt, Field(ge=-1_000_000, le=1_000_000)]
        | Annotated[str, Field(max_length=MAX_FLAG_STR_CHARS)]
    )

    @field_validator("name", mode="before")
    @classmethod
    def _slugify_name(cls, value: Any) -> Any:
        # Models write "Met The King" or "met-the-king"; the campaign's flags are snake_case slugs.
        if isinstance(value, str):
            return re.sub(r"[\s]+", "_", value.strip().lower())
        return value


class NpcAttitudeUpdate(_Strict):
    type: Literal["npc_attitude"]
    npc: ShortName
    attitude: Literal["friendly", "indifferent", "hostile"]


class SceneUpdate(_Strict):
    type: Literal["scene"]
    advance: StrictBool


class ActionUpdate(_Strict):
    """A mechanical action stated in natural language, for the engine to run with its own checks.

    For `rest`, `target` is "short" or "long"; for `save`/`check`, `target` is the ability or skill.
    """

    type: Literal["action"]
    kind: ActionKind
    actor_player_id: PlayerId
    target: ShortName | None = None
    item: ShortName | None = None
    spell: ShortName | None = None
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_STATED_QUANTITY)] | None = None

    @model_validator(mode="after")
    def _has_what_it_needs(self) -> ActionUpdate:
        if self.kind == "cast" and not self.spell:
            raise ValueError("a cast action needs a spell")
        if self.kind in _ITEM_ACTIONS and not self.item:
            raise ValueError(f"a {self.kind} action needs an item")
        if self.kind == "rest" and self.target not in (None, "short", "long"):
            raise ValueError("a rest action's target is 'short' or 'long'")
        return self


class ClarifyUpdate(_Strict):
    """One question back to the players when their intent is ambiguous."""

    type: Literal["clarify"]
    question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]


MAX_ENCOUNTER_GROUPS = 4
MAX_ENCOUNTER_COUNT = 12


class EncounterGroupProposal(_Strict):
    monster: ShortName  # a creature of the compendium, by name
    count: Annotated[StrictInt, Field(ge=1, le=MAX_ENCOUNTER_COUNT)] = 1


class EncounterUpdate(_Strict):
    """The story calls for a fight: the engine checks the creatures exist and fit the XP budget, then starts it."""

    type: Literal["encounter"]
    creatures: Annotated[list[EncounterGroupProposal], Field(min_length=1, max_length=MAX_ENCOUNTER_GROUPS)]


MAX_CHOICE_ID_CHARS = 160


class MonsterActionUpdate(_Strict):
    """The next turn of a monster the DM plays, chosen from the menu the engine offered ("monster_menu", by
    id): kept on the monster and played at its turn if still legal then, else the engine's own policy plays."""

    type: Literal["monster_action"]
    monster: ShortName  # the monster's id in the menu
    choice: Annotated[str, Field(min_length=1, max_length=MAX_CHOICE_ID_CHARS, pattern=r"^[^\r\n\t]+$")]


def stated_update(stated: StatedAction | Clarification) -> ActionUpdate | ClarifyUpdate:
    """An action the rule-based parser read (`dnd.stated_actions`) as the update a model could have proposed,
    held to the same allow-list."""
    if isinstance(stated, Clarification):
        return ClarifyUpdate(type="clarify", question=stated.question)
    return ActionUpdate(type="action", **dataclasses.asdict(stated))


Update = Annotated[
    HpChangeUpdate
    | ConditionUpdate
    | PlotFlagUpdate
    | NpcAttitudeUpdate
    | SceneUpdate
    | ActionUpdate
    | ClarifyUpdate
    | EncounterUpdate
    | MonsterActionUpdate,
    Field(discriminator="type"),
]
UPDATE_ADAPTER: TypeAdapter[Update] = TypeAdapter(Update)


class ModelOutput(_Strict):
    narration: Annotated[str, Field(min_length=1, max_length=MAX_NARRATION_CHARS)]
    updates: Annotated[list[Update], Field(max_length=MAX_UPDATES)] = Field(default_factory=list)


class InvalidModelOutput(ValueError):
    """The text holds no usable JSON object with a narration."""


@dataclass(frozen=True)
class DroppedUpdate:
    raw: Any
    reason: str


@dataclass
class ParsedOutput:
    """A validated model answer: narration, the allow-listed updates, and what was dropped and why."""

    narration: str
    updates: list[Update] = field(default_factory=list)
    dropped: list[DroppedUpdate] = field(default_factory=list)
    # Top-level problems that were tolerated (unknown keys, a truncated narration, too many updates).
    issues: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when the answer matched the schema exactly (nothing dropped, nothing tolerated)."""
        return not self.dropped and not self.issues

    def problems(self) -> list[str]:
        """Human-readable reasons, e.g. to send back to the model in a repair request."""
        return self.issues + [f"update {_short_repr(d.raw)} dropped: {d.reason}" for d in self.dropped]

    def to_model_output(self) -> ModelOutput:
        return ModelOutput(narration=self.narration, updates=list(self.updates))

    def to_dict(self) -> dict[str, Any]:
        return {
            "narration": self.narration,
            "updates": [u.model_dump(mode="json", exclude_none=True) for u in self.updates],
            "dropped": [{"raw": d.raw, "reason": d.reason} for d in self.dropped],
            "issues": list(self.issues),
        }


def parse_model_output(text: str) -> ParsedOutput:
    """Extract the JSON object from a model's text and validate it update by update.

    Raises `InvalidModelOutput` when there is no JSON object with a non-empty string narration.
    """
    payload = extract_json_object(text)
    issues: list[str] = []

    narration_raw = payload.get("narration")
    if not isinstance(narration_raw, str) or not narration_raw.strip():
        raise InvalidModelOutput("the JSON object has no non-empty string 'narration'")
    narration = narration_raw.strip()
    if len(narration) > MAX_NARRATION_CHARS:
        narration = truncate_at_sentence(narration, MAX_NARRATION_CHARS)
        issues.append(f"narration longer than {MAX_NARRATION_CHARS} characters was truncated")

    unknown_keys = sorted(set(payload) - {"narration", "updates"})
    if unknown_keys:
        issues.append(f"unknown top-level keys ignored: {', '.join(unknown_keys)}")

    raw_updates = payload.get("updates", [])
    if raw_updates is None:
        raw_updates = []
    elif isinstance(raw_updates, dict):
        issues.append("'updates' was an object, not a list")
        raw_updates = [raw_updates]
    elif not isinstance(raw_updates, list):
        issues.append("'updates' is not a list; all updates ignored")
        raw_updates = []

    updates: list[Update] = []
    dropped: list[DroppedUpdate] = []
    for raw in raw_updates:
        if len(updates) >= MAX_UPDATES:
            dropped.append(DroppedUpdate(raw, f"more than {MAX_UPDATES} updates"))
            continue
        try:
            updates.append(validate_update(raw))
        except ValueError as exc:  # ValidationError is a ValueError
            dropped.append(DroppedUpdate(raw, str(exc)))
    return ParsedOutput(narration=narration, updates=updates, dropped=dropped, issues=issues)


def validate_update(raw: Any) -> Update:
    """One update against the allow-list; raises ValueError with a short reason."""
    if not isinstance(raw, dict):
        raise ValueError("an update must be a JSON object")
    update_type = raw.get("type")
    if update_type not in UPDATE_TYPES:
        raise ValueError(f"update type {update_type!r} is not in the allow-list")
    try:
        return UPDATE_ADAPTER.validate_python(clip_update_fields(raw))
    except ValidationError as exc:
        raise ValueError(_summarize_validation_error(exc)) from None


def clip_update_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """The update with each over-long string field cut to its limit.

    The schema sent to servers carries no length limits (a grammar engine would unroll them), so the
    limits are enforced here: a long NPC name or question is clipped rather than the update dropped.
    """
    limits = _string_limits().get(str(raw.get("type")), {})
    clipped = dict(raw)
    for name, limit in limits.items():
        value = clipped.get(name)
        if isinstance(value, str) and len(value.strip()) > limit:
            clipped[name] = value.strip()[:limit].rstrip() or value.strip()[:limit]
    return clipped


def extract_json_object(text: str) -> dict[str, Any]:
    """The first JSON object with a "narration" key in `text` (tolerates code fences and chatter)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidModelOutput("empty answer")
    stripped = text.strip()
    if stripped.startswith('"'):
        # Some models double-encode: the whole answer is one JSON string holding the object.
        try:
            inner = json.loads(stripped)
        except json.JSONDecodeError:
            inner = None
        if isinstance(inner, str):
            stripped = inner.strip()
    candidates = [m.group(1) for m in _FENCE_RE.finditer(stripped)] + [stripped]
    for candidate in candidates:
        found = _first_object_with_narration(candidate)
        if found is not None:
            return found
    raise InvalidModelOutput("no JSON object with a 'narration' key found")


def salvage_narration(text: str) -> str | None:
    """The narration string from broken JSON (e.g. cut off by max_tokens), or None.

    A narration cut mid-string is kept up to its last complete sentence.
    """
    if not isinstance(text, str):
        return None
    match = _NARRATION_KEY_RE.search(text)
    if match is None:
        return None
    start = match.end() - 1  # the opening quote
    decoder = json.JSONDecoder()
    try:
        value, _ = decoder.raw_decode(text, start)
    except json.JSONDecodeError:
        tail = text[start:]
        last_stop = max(tail.rfind(". "), tail.rfind("! "), tail.rfind("? "), tail.rfind(".\\n"))
        if last_stop <= 0:
            return None
        try:
            value, _ = decoder.raw_decode(tail[: last_stop + 1] + '"')
        except json.JSONDecodeError:
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    return truncate_at_sentence(value.strip(), MAX_NARRATION_CHARS)


def truncate_at_sentence(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind("\n"))
    if stop >= limit // 2:
        return cut[: stop + 1].rstrip()
    return cut[: limit - 1].rstrip() + "…"


@lru_cache(maxsize=1)
def _string_limits() -> dict[str, dict[str, int]]:
    """{update type: {field: maxLength}} read from the models, so a field added to an update is clipped too."""
    limits: dict[str, dict[str, int]] = {}
    for definition in ModelOutput.model_json_schema().get("$defs", {}).values():
        update_type = (definition.get("properties", {}).get("type") or {}).get("const")
        if not update_type:
            continue
        for name, prop in definition.get("properties", {}).items():
            found = [branch.get("maxLength") for branch in [prop, *prop.get("anyOf", [])]
                     if isinstance(branch, dict) and branch.get("type") == "string" and branch.get("maxLength")]
            if found:
                limits.setdefault(update_type, {})[name] = max(found)
    return limits


def grammar_safe_schema(schema: Any) -> Any:
    """The schema without the limits a grammar engine (llama.cpp's GBNF, xgrammar, outlines) unrolls.

    `maxLength: 4000` becomes thousands of nested repetitions in a grammar (llama.cpp's compiler failed on
    it and took its server down); `maxItems`/`maxProperties` likewise, and `minLength`/`minItems` above 1.
    Enums, types and `required` stay; the parser enforces the lengths after the answer arrives.
    """
    if isinstance(schema, list):
        return [grammar_safe_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    safe: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _UNROLLED_LIMITS:
            continue
        if key in ("minLength", "minItems") and isinstance(value, int) and value > 1:
            continue
        if key == "properties" and isinstance(value, dict):
            safe[key] = {name: grammar_safe_schema(sub) for name, sub in value.items()}
        else:
            safe[key] = grammar_safe_schema(value)
    return safe


@lru_cache(maxsize=4)
def _cached_json_schema(dialect: str) -> str:
    return json.dumps(adapt_schema(ModelOutput.model_json_schema(), dialect))


def json_schema(dialect: Literal["openai", "gemini"] = "openai") -> dict[str, Any]:
    """The JSON schema sent to providers.

    "openai": for vLLM `guided_json` / `response_format` json_schema, llama.cpp, Ollama, xAI. Refs are
    inlined and `oneOf`+`discriminator` become `anyOf` (each branch has a one-value `type` enum, so they
    stay exclusive) because guided-decoding backends support that subset best; length limits are left out
    (`grammar_safe_schema`) and enforced by `parse_model_output`.
    "gemini": for google-genai `response_json_schema`, without the keywords Gemini ignores or rejects.
    """
    if dialect not in ("openai", "gemini"):
        raise ValueError(f"unknown schema dialect {dialect!r}")
    return copy.deepcopy(json.loads(_cached_json_schema(dialect)))


def adapt_schema(schema: dict[str, Any], dialect: Literal["openai", "gemini"] | str) -> dict[str, Any]:
    """Any JSON schema rewritten for a provider dialect (refs inlined, unsupported keywords removed)."""
    schema = copy.deepcopy(schema)
    defs = schema.pop("$defs", {})
    return grammar_safe_schema(_clean_schema(_inline_refs(schema, defs), dialect))


# --- internals -------------------------------------------------------------------------------------------

_FENCE_RE = re.compile(r"```[ \t]*(?:json|JSON|json5)?[ \t]*\n?(.*?)```", re.DOTALL)
_NARRATION_KEY_RE = re.compile(r'"narration"\s*:\s*"')
_UNROLLED_LIMITS = frozenset({"maxLength", "maxItems", "maxProperties"})
_MAX_DECODE_ATTEMPTS = 64  # bounds the work on adversarial text full of braces
_GEMINI_UNSUPPORTED_KEYS = frozenset(
    {"pattern", "minLength", "maxLength", "default", "const", "discriminator"}
)


def _first_object_with_narration(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    position = text.find("{")
    attempts = 0
    while position != -1 and attempts < _MAX_DECODE_ATTEMPTS:
        attempts += 1
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict) and "narration" in value:
            return value
        position = text.find("{", end if isinstance(value, dict) else position + 1)
    return None


def _summarize_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:4]:
        # Drop the union tag pydantic puts first in the location (e.g. "hp_change").
        location = ".".join(str(p) for p in error["loc"][1:]) or str(error["loc"][0] if error["loc"] else "")
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "field not allowed"
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)


def _short_repr(value: Any, limit: int = 120) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = defs[ref.removeprefix("#/$defs/")]
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return _inline_refs(merged, defs)
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def _clean_schema(node: Any, dialect: str) -> Any:
    if isinstance(node, list):
        return [_clean_schema(item, dialect) for item in node]
    if not isinstance(node, dict):
        return node
    cleaned: dict[str, Any] = {}
    for key, value in node.items():
        # "pattern": not every guided-decoding backend supports it; the validator checks it anyway.
        if key in ("title", "discriminator", "description", "pattern") or (key == "default" and value is None):
            continue
        if key == "oneOf":
            key = "anyOf"
        if key == "properties":
            cleaned[key] = {name: _clean_schema(sub, dialect) for name, sub in value.items()}
            continue
        cleaned[key] = _clean_schema(value, dialect)
    if "const" in cleaned:
        cleaned["enum"] = [cleaned.pop("const")]
    if dialect == "gemini":
        for key in _GEMINI_UNSUPPORTED_KEYS & cleaned.keys():
            cleaned.pop(key)
        if "properties" in cleaned:
            cleaned["propertyOrdering"] = list(cleaned["properties"])
    return cleaned
