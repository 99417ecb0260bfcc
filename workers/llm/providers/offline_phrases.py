"""The offline narrator's phrase tables: openings, speech, result and lore leads, hooks, closings, and one
line per kind of stated action. Placeholders in braces are filled by `offline.OfflineNarrator`."""

from __future__ import annotations

OPENINGS_AT = (
    "{place} falls quiet for a heartbeat, every sound sharp in the stillness.",
    "In {place}, the air is thick with anticipation.",
    "Shadows shift across {place} as the party weighs its next move.",
    "{place} seems to hold its breath.",
    "A draft stirs the dust of {place}, carrying distant, half-heard sounds.",
    "Torchlight and shadow trade places across {place}.",
)
OPENINGS_NOWHERE = (
    "The world holds its breath.",
    "For a moment, everything is still.",
    "The tale moves on.",
    "Somewhere close, something waits to see what you will do.",
)
SPEECH_LINES = (
    "{name}'s words hang in the air: “{excerpt}”",
    "“{excerpt}” — {name}'s voice carries further than expected.",
    "{name} speaks up: “{excerpt}”",
    "All eyes turn to {name}: “{excerpt}”",
)
RESULT_LEADS = ("The dice have spoken:", "Fate decides:", "It comes down to this:", "The outcome is clear:")
LORE_LEADS = ("You recall something:", "An old lesson surfaces:", "Lore whispers at the edge of memory:")
HOOK_LEADS = ("Then, ", "Meanwhile, ", "Just then, ", "Before anyone can move, ")
CLOSINGS = (
    "What do you do?",
    "What happens next is up to you.",
    "The next move is yours.",
    "How do you respond?",
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
