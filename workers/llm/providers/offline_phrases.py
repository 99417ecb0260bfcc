"""The offline narrator's phrase tables: openings, scene and NPC lines, speech, the fight told in prose, lore
leads, hooks, exits, closings, and one line per kind of stated action. Placeholders in braces are filled by
`offline.OfflineNarrator`; several variants each, so a sentence need not repeat within a few turns."""

from __future__ import annotations

OPENINGS_AT = (
    "{place} falls quiet for a heartbeat, every sound sharp in the stillness.",
    "In {place}, the air is thick with anticipation.",
    "Shadows shift across {place} as the party weighs its next move.",
    "{place} seems to hold its breath.",
    "A draft stirs the dust of {place}, carrying distant, half-heard sounds.",
    "Torchlight and shadow trade places across {place}.",
    "The moment stretches in {place}.",
    "Nothing in {place} waits for long.",
)
OPENINGS_NOWHERE = (
    "The world holds its breath.",
    "For a moment, everything is still.",
    "The tale moves on.",
    "Somewhere close, something waits to see what you will do.",
)
OPENINGS_FIGHT = (
    "Steel rings out across {place}.",
    "The fight churns on in {place}.",
    "Blood and breath come short in {place}.",
    "Dust and shouting fill {place}.",
)
NPC_LINES = (
    "{npc} is close by, watching how this plays out.",
    "{npc} catches your eye and waits.",
    "Not far off, {npc} pretends not to listen.",
    "{npc} lingers within earshot.",
)
NPC_PAIR_LINES = (
    "{npc} and {other} are both close enough to hear every word.",
    "{npc} glances at {other}; neither says anything yet.",
)
EXIT_LINES = (
    "Beyond this place, the way on leads toward {exit}.",
    "The road from here runs to {exit}, when you are ready.",
    "{exit} is not far, if you choose to go.",
)
SPEECH_LINES = (
    "{name}'s words hang in the air: “{excerpt}”",
    "“{excerpt}” — {name}'s voice carries further than expected.",
    "{name} speaks up: “{excerpt}”",
    "All eyes turn to {name}: “{excerpt}”",
)
LORE_LEADS = ("You recall something:", "An old lesson surfaces:", "Lore whispers at the edge of memory:")
HOOK_LEADS = ("Then, ", "Meanwhile, ", "Just then, ", "Before anyone can move, ")
# For a hook that starts with a name: it is not lower-cased after a lead, it is its own sentence.
HOOK_ALONE = ("Something changes. {hook}", "The moment turns. {hook}", "{hook}")
SPOTLIGHT_LINES = (
    "{name}, something here catches your eye first: what is it?",
    "{name}, you have been quiet; what do you make of this?",
    "A glance passes to {name}, who has said little so far.",
    "{name}, the others look to you now.",
)
CLOSINGS = (
    "What do you do?",
    "What happens next is up to you.",
    "The next move is yours.",
    "How do you respond?",
    "Where do you go from here?",
    "Who acts first?",
)
ACTION_LINES: dict[str, tuple[str, ...]] = {
    "attack": ("{name} lunges at {target}{with_item}.", "{name} strikes at {target}{with_item}."),
    "cast": ("{name} speaks the words of {spell}{at_target}.", "{name} weaves {spell}{at_target}."),
    "use_item": ("{name} reaches for their {item}.", "{name} puts their {item} to use."),
    "buy": ("{name} haggles over {quantity}{item}.", "{name} counts out coin for {quantity}{item}."),
    "sell": ("{name} offers {quantity}{item} for sale.", "{name} sets {quantity}{item} on the counter."),
    "drop": ("{name} lets their {item} fall.", "{name} sets their {item} down."),
    "pick_up": ("{name} picks up the {item}.", "{name} gathers up the {item}."),
    "rest": ("{name} settles in for a {target} rest.", "{name} takes a {target} rest."),
    "save": ("{name} braces against it ({target} save).",),
    "check": ("{name} tries their luck ({target}).", "{name} focuses ({target} check)."),
}

# The fight, one table per event of `dnd.render.facts.combat_event`; the key "attack" is split by its result.
FIGHT_LINES: dict[str, tuple[str, ...]] = {
    "hit": ("{actor}'s {weapon} finds {target}.", "{actor} drives {weapon_a} home against {target}.",
            "{actor} lands a blow on {target} with {weapon_a}.", "{target} fails to turn aside {actor}'s {weapon}."),
    "critical hit": ("{actor} finds the perfect opening: {weapon_a} bites deep into {target}.",
                     "A terrible blow: {actor}'s {weapon} tears into {target}."),
    "miss": ("{actor} swings {weapon_a} at {target}, but it goes wide.",
             "{target} slips aside from {actor}'s {weapon}.",
             "{actor}'s {weapon} glances harmlessly off {target}.", "{target} weathers {actor}'s attack untouched."),
    "fumble": ("{actor} stumbles, and {weapon_a} goes nowhere near {target}.",
               "{actor} overreaches badly at {target}."),
    "unhurt": ("{target} shrugs the blow off.", "{target} barely notices the wound."),
    "wounded": ("{target} is hurt but still standing.", "{target} staggers, wounded.",
                "Blood shows on {target}, who fights on."),
    "bloodied": ("{target} is bloodied and reeling.", "{target} sways, badly hurt.",
                 "{target} is bleeding hard now."),
    "down": ("{target} goes down.", "{target} crumples to the ground."),
    "healed": ("{target}'s wounds close a little.", "Colour returns to {target}'s face."),
    "falls": ("{target} collapses, unconscious.", "{target} drops senseless."),
    "dies": ("{target} falls and does not rise again.", "{target} is dead before touching the ground."),
    "defeated": ("{target} is out of the fight.", "{target} will trouble no one again."),
    "flees": ("{actor} breaks away and runs for it.", "{actor} turns tail and flees."),
    "multiattack": ("{actor} presses {target} with a flurry of attacks.",
                    "{actor} rounds on {target}, attacking again and again."),
    "save success": ("{who} resists.", "{who} holds firm against it."),
    "save failure": ("{who} cannot resist.", "{who} buckles under it."),
    "condition gains": ("{target} is now {condition}.",),
    "condition loses": ("{target} is no longer {condition}.",),
    "wakes": ("{target} gasps back to consciousness.",),
    "hit_undone miss": ("At the last instant {target} turns {actor}'s blow aside: it misses after all.",
                        "{actor}'s blow meets a shimmer of force and glances off {target}."),
    "hit_undone less damage": ("{target} twists away, and {actor}'s blow only grazes.",),
    "spell": ("The magic of {spell} takes hold.", "{spell} does its work."),
    "death_save success": ("{actor} clings to life.",),
    "death_save failure": ("{actor} slips further toward death.",),
    "death_save stable": ("{actor}'s breathing steadies; they are stable.",),
    "death_save dead": ("{actor} breathes their last.",),
    "death_save revived": ("{actor}'s eyes snap open.",),
    "fight_over victory": ("The last foe falls, and the fight is won.", "Silence: no enemy is left standing."),
    "fight_over defeat": ("Every hero lies fallen.", "The last of the party goes down."),
}
