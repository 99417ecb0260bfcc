"""The model output schema: the allow-list, tolerant extraction, per-update dropping, provider schemas."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from workers.llm.schema import (
    MAX_NAME_CHARS,
    MAX_NARRATION_CHARS,
    MAX_QUESTION_CHARS,
    MAX_UPDATES,
    SRD_CONDITIONS,
    ActionUpdate,
    ConditionUpdate,
    HpChangeUpdate,
    InvalidModelOutput,
    ModelOutput,
    PlotFlagUpdate,
    adapt_schema,
    grammar_safe_schema,
    json_schema,
    parse_model_output,
    salvage_narration,
    validate_update,
)


def _answer(updates: list[object], narration: str = "The torches gutter.") -> str:
    return json.dumps({"narration": narration, "updates": updates})


def test_srd_condition_list_is_the_fifteen_conditions() -> None:
    assert len(SRD_CONDITIONS) == 15
    assert {"blinded", "exhaustion", "unconscious", "prone", "petrified"} <= set(SRD_CONDITIONS)


def test_valid_answer_with_every_update_type_is_clean() -> None:
    updates = [
        {"type": "hp_change", "target_player_id": 11, "amount": -7},
        {"type": "condition", "target_player_id": 11, "condition": "prone", "action": "add"},
        {"type": "plot_flag", "name": "met_the_king", "value": True},
        {"type": "npc_attitude", "npc": "Mira", "attitude": "hostile"},
        {"type": "scene", "advance": True},
        {"type": "action", "kind": "attack", "actor_player_id": 11, "target": "goblin", "item": "Longsword"},
        {"type": "clarify", "question": "Which door do you open?"},
    ]
    parsed = parse_model_output(_answer(updates))
    assert parsed.clean
    assert [u.type for u in parsed.updates] == [u["type"] for u in updates]
    assert isinstance(parsed.updates[0], HpChangeUpdate) and parsed.updates[0].amount == -7
    assert parsed.to_model_output().narration == "The torches gutter."


@pytest.mark.parametrize(
    ("bad_update", "reason_fragment"),
    [
        ({"type": "grant_gold", "target_player_id": 1, "amount": 10000}, "not in the allow-list"),
        ({"type": "give_item", "target_player_id": 1, "item": "Vorpal Sword"}, "not in the allow-list"),
        ({"type": "transfer_ownership", "item": "Ship", "to_player_id": 2}, "not in the allow-list"),
        ({"type": "hp_change", "target_player_id": 1, "amount": -3, "gold": 100}, "gold: field not allowed"),
        ({"type": "hp_change", "target_player_id": 1, "amount": 5000}, "amount"),
        ({"type": "hp_change", "target_player_id": 1, "amount": "-3"}, "amount"),
        ({"type": "hp_change", "target_player_id": 1, "amount": True}, "amount"),
        ({"type": "condition", "target_player_id": 1, "condition": "sleepy", "action": "add"}, "condition"),
        ({"type": "condition", "target_player_id": 1, "condition": "prone", "action": "toggle"}, "action"),
        ({"type": "plot_flag", "name": "quest_done", "value": {"gold": 500}}, "value"),
        ({"type": "plot_flag", "name": "../other_campaign", "value": 1}, "name"),
        ({"type": "npc_attitude", "npc": "Mira", "attitude": "worshipful"}, "attitude"),
        ({"type": "action", "kind": "give_item", "actor_player_id": 1, "item": "Gold"}, "kind"),
        ({"type": "action", "kind": "buy", "actor_player_id": 1, "item": "Torch", "price": 0}, "price"),
        (
            {"type": "action", "kind": "buy", "actor_player_id": 1, "item": "Torch", "quantity": 500},
            "quantity",
        ),
        ({"type": "action", "kind": "cast", "actor_player_id": 1}, "needs a spell"),
        ({"type": "action", "kind": "buy", "actor_player_id": 1}, "needs an item"),
        ({"type": "scene", "advance": True, "campaign_id": 2}, "campaign_id: field not allowed"),
        ({"type": "clarify", "question": ""}, "question"),
        ("grant me gold", "JSON object"),
        ({"amount": 5}, "not in the allow-list"),
    ],
)
def test_updates_outside_the_allow_list_are_dropped_with_a_reason(
    bad_update: object, reason_fragment: str
) -> None:
    valid = {"type": "npc_attitude", "npc": "Mira", "attitude": "friendly"}
    parsed = parse_model_output(_answer([bad_update, valid]))
    assert parsed.narration == "The torches gutter."
    assert len(parsed.updates) == 1 and parsed.updates[0].type == "npc_attitude"
    assert len(parsed.dropped) == 1
    assert parsed.dropped[0].raw == bad_update
    assert reason_fragment in parsed.dropped[0].reason
    assert not parsed.clean


def test_no_update_type_can_carry_gold_items_or_ownership() -> None:
    schema_text = json.dumps(json_schema())
    for forbidden in ("gold", "gp", "owner", "campaign", "grant", "price", "xp"):
        assert f'"{forbidden}"' not in schema_text
    # `item` exists only on actions, which the engine executes with its own checks (a buy still costs).
    with pytest.raises(ValidationError):
        ActionUpdate.model_validate(
            {"type": "action", "kind": "buy", "actor_player_id": 1, "item": "Torch", "free": True}
        )


def test_condition_is_case_insensitive_and_plot_flag_names_are_slugged() -> None:
    condition = validate_update(
        {"type": "condition", "target_player_id": 3, "condition": "Prone", "action": "add"}
    )
    assert isinstance(condition, ConditionUpdate) and condition.condition == "prone"
    flag = validate_update({"type": "plot_flag", "name": "Met The King", "value": "yes"})
    assert isinstance(flag, PlotFlagUpdate) and flag.name == "met_the_king"


def test_plot_flag_values_keep_their_json_type() -> None:
    assert validate_update({"type": "plot_flag", "name": "a", "value": True}).value is True  # type: ignore[union-attr]
    assert validate_update({"type": "plot_flag", "name": "a", "value": 3}).value == 3  # type: ignore[union-attr]
    assert validate_update({"type": "plot_flag", "name": "a", "value": "1"}).value == "1"  # type: ignore[union-attr]


def test_json_is_found_inside_code_fences_and_chatter() -> None:
    text = 'Here is my answer:\n```json\n{"narration": "Rain falls.", "updates": []}\n```\nHope that helps!'
    assert parse_model_output(text).narration == "Rain falls."
    text = 'Sure. {"narration": "Rain falls.", "updates": [{"type": "scene", "advance": false}]} Done.'
    parsed = parse_model_output(text)
    assert parsed.narration == "Rain falls." and parsed.updates[0].type == "scene"


def test_double_encoded_json_string_is_unwrapped() -> None:
    inner = json.dumps({"narration": "Snow.", "updates": []})
    assert parse_model_output(json.dumps(inner)).narration == "Snow."


def test_an_inner_object_without_narration_is_not_mistaken_for_the_answer() -> None:
    text = 'Example {"type": "scene"} then the real one {"narration": "Fog.", "updates": []}'
    assert parse_model_output(text).narration == "Fog."


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "The goblin snarls. No JSON here.",
        '{"updates": []}',
        '{"narration": ""}',
        '{"narration": 42}',
        '{"narration": "cut off',
        "[1, 2, 3]",
    ],
)
def test_no_usable_json_raises(text: str) -> None:
    with pytest.raises(InvalidModelOutput):
        parse_model_output(text)


def test_top_level_problems_are_tolerated_but_reported() -> None:
    long_narration = ("The hall is vast. " * 400).strip()
    payload = {"narration": long_narration, "updates": [{"type": "scene", "advance": True}] * 12, "gold": 5}
    parsed = parse_model_output(json.dumps(payload))
    assert len(parsed.narration) <= MAX_NARRATION_CHARS
    assert len(parsed.updates) == MAX_UPDATES
    assert len(parsed.dropped) == 2 and "more than" in parsed.dropped[0].reason
    assert any("truncated" in issue for issue in parsed.issues)
    assert any("gold" in issue for issue in parsed.issues)
    ModelOutput.model_validate(parsed.to_model_output().model_dump())  # still valid against the strict model


def test_updates_as_a_single_object_or_null() -> None:
    assert parse_model_output('{"narration": "x", "updates": null}').clean
    parsed = parse_model_output('{"narration": "x", "updates": {"type": "scene", "advance": true}}')
    assert parsed.updates[0].type == "scene" and parsed.issues


def test_salvage_narration_from_broken_json() -> None:
    assert salvage_narration('{"narration": "A door opens. Wind howls.", "updates": [{"type":') == (
        "A door opens. Wind howls."
    )
    cut = '{"narration": "The cellar door creaks open. A cold draft rushes out. Something moves in'
    assert salvage_narration(cut) == "The cellar door creaks open. A cold draft rushes out."
    assert salvage_narration("no json at all") is None
    assert salvage_narration('{"narration": "no sentence end') is None


def test_strict_model_forbids_extra_fields_everywhere() -> None:
    with pytest.raises(ValidationError):
        ModelOutput.model_validate({"narration": "x", "updates": [], "extra": 1})
    with pytest.raises(ValidationError):
        ModelOutput.model_validate({"narration": "x" * (MAX_NARRATION_CHARS + 1)})
    with pytest.raises(ValidationError):
        ModelOutput.model_validate({"narration": "x", "updates": [{"type": "scene", "advance": True}] * 11})


def _walk(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


def test_openai_schema_is_self_contained_and_closed() -> None:
    schema = json_schema("openai")
    nodes = _walk(schema)
    assert not any("$ref" in n or "$defs" in n or "oneOf" in n or "discriminator" in n for n in nodes)
    objects = [n for n in nodes if n.get("type") == "object"]
    assert len(objects) == 11  # the answer, nine update types, and an encounter's creature group
    assert all(n.get("additionalProperties") is False for n in objects)
    branches = schema["properties"]["updates"]["items"]["anyOf"]  # type: ignore[index]
    assert sorted(b["properties"]["type"]["enum"][0] for b in branches) == sorted(
        ["hp_change", "condition", "plot_flag", "npc_attitude", "scene", "action", "clarify", "encounter",
         "monster_action"]
    )
    assert schema["required"] == ["narration"]
    # No length limits: a grammar engine unrolls `maxLength: 4000` into thousands of rules (the parser
    # enforces them instead, see test_long_fields_are_clipped_not_dropped).
    for key in ("maxLength", "maxItems", "maxProperties"):
        assert not any(key in n for n in nodes), key
    conditions = next(b for b in branches if b["properties"]["type"]["enum"] == ["condition"])
    assert "poisoned" in conditions["properties"]["condition"]["enum"]
    assert sorted(conditions["required"]) == ["action", "condition", "target_player_id", "type"]


def test_grammar_safe_schema_strips_limits_of_any_schema() -> None:
    schema = {"type": "object", "properties": {"maxLength": {"type": "string", "maxLength": 9, "minLength": 3},
                                               "tags": {"type": "array", "maxItems": 50, "minItems": 1}},
              "required": ["maxLength"]}
    assert grammar_safe_schema(schema) == {
        "type": "object", "properties": {"maxLength": {"type": "string"},
                                         "tags": {"type": "array", "minItems": 1}},
        "required": ["maxLength"]}


def test_long_fields_are_clipped_not_dropped() -> None:
    parsed = parse_model_output(_answer([
        {"type": "npc_attitude", "npc": "M" * 500, "attitude": "hostile"},
        {"type": "clarify", "question": "Which door? " * 100},
        {"type": "plot_flag", "name": "x" * 65, "value": "v" * 900},
    ]))
    assert not parsed.dropped
    npc, question, flag = parsed.updates
    assert npc.npc == "M" * MAX_NAME_CHARS  # type: ignore[union-attr]
    assert len(question.question) <= MAX_QUESTION_CHARS  # type: ignore[union-attr]
    assert flag.name == "x" * 64 and flag.value == "v" * 200  # type: ignore[union-attr]


def test_gemini_schema_drops_unsupported_keywords_and_orders_properties() -> None:
    schema = json_schema("gemini")
    nodes = _walk(schema)
    for key in ("maxLength", "minLength", "pattern", "const", "$ref"):
        assert not any(key in n for n in nodes), key
    assert schema["propertyOrdering"] == ["narration", "updates"]
    # An arbitrary schema with $defs is adapted the same way.
    adapted = adapt_schema(ModelOutput.model_json_schema(), "gemini")
    assert adapted == schema


def test_json_schema_returns_a_fresh_copy() -> None:
    first = json_schema()
    first["properties"]["narration"]["minLength"] = 99  # type: ignore[index]
    assert json_schema()["properties"]["narration"]["minLength"] == 1  # type: ignore[index]


def test_adversarial_brace_soup_is_bounded() -> None:
    with pytest.raises(InvalidModelOutput):
        parse_model_output("{" * 20000)


def test_a_monster_action_names_a_monster_and_a_menu_choice_and_nothing_else() -> None:
    update = validate_update({"type": "monster_action", "monster": "goblin-1", "choice": "attack:Scimitar:pc-7"})
    assert (update.monster, update.choice) == ("goblin-1", "attack:Scimitar:pc-7")
    for bad in ({"type": "monster_action", "monster": "goblin-1"},
                {"type": "monster_action", "monster": "goblin-1", "choice": "wait\nignore the rules"},
                {"type": "monster_action", "monster": "goblin-1", "choice": "wait", "damage": 40}):
        with pytest.raises(ValueError):
            validate_update(bad)
