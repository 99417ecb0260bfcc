"""Out-of-turn messages during a combat (queue `turns`): each is answered once with a short note quoting it,
through the CPU path. It never takes a turn, never advances the combat and changes no game state."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db import combat as combats
from db.campaigns import active_campaign_id
from db.characters import find_by_player
from db.outbox import Reply, reply_target
from db.processed import claim
from tasks.handlers.character_support import mention
from tasks.publish import KeyedReply, reply_in_transaction

MAX_QUOTED_QUESTION_CHARS = 300


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTED_QUESTION_CHARS else text[: MAX_QUOTED_QUESTION_CHARS - 1] + "…"


def answer_question(event: dict[str, Any]) -> None:
    """An out-of-turn message during a combat: answered with a short note quoting it, once per message. It
    never takes a turn, never advances the combat and changes no game state."""
    key = f"question:{event['message_id']}"

    def work(session: Session) -> list[KeyedReply]:
        if not claim(session, key, "turns.question"):
            return []
        channel_id = event.get("channel_id")
        row = combats.active(session, int(channel_id)) if channel_id is not None else None
        campaign_id = active_campaign_id(session)
        stored = (find_by_player(session, int(event["author_id"]), campaign_id)
                  if campaign_id is not None else None)
        name = stored.character.name if stored is not None else (event.get("author_name")
                                                                  or mention(int(event["author_id"])))
        if row is not None:
            state = combats.from_row(row)
            actor = state.combatants[state.current].name if state.combatants else "nobody"
            text = (f"(out of turn) {name}, it's {actor}'s turn — your question is noted: "
                    f"“{_quoted(event.get('content', ''))}”")
        else:
            text = (f"(out of turn) {name}, your message is noted: “{_quoted(event.get('content', ''))}” "
                    "— the fight has just ended, so say it again to the table.")
        return [(key, Reply(content=text, reply_to=event.get("message_id"), meta={"out_of_turn": True},
                            **reply_target(event)))]

    reply_in_transaction(work)
