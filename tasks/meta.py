"""Queue `analysis`: campaign meta-analysis (`!analyze_structures`) and new campaigns (`!new_campaign`).

Both report to the owner in one message edited in place. A new campaign's index is built by the ingest
worker (tasks.rag), which keeps editing the same message, so the owner sees one progress line from the
description to the searchable campaign.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import keys
from corpus.campaigns import (
    CampaignError,
    describe,
    generate_campaign,
    list_campaign_files,
    load_into_db,
    reference_structures,
    store_structures,
    write_generated,
)
from corpus.ingest import format_duration
from db.engine import run_in_transaction
from db.outbox import Reply, reply_target
from tasks.app import app
from tasks.base import DndTask
from tasks.publish import send_reply


def _tell(destination: dict[str, Any], edit_key: str, content: str) -> None:
    target = reply_target(destination)
    if target:
        send_reply(f"{edit_key}:{time.time_ns()}",
                   Reply(content=content, reply_to=destination.get("reply_to"), edit_key=edit_key, **target))


def analyze_all() -> list[dict[str, Any]]:
    """corpus.structure's extraction of every campaign file, stored in campaign_structures."""
    results: list[dict[str, Any]] = []
    for path in list_campaign_files():
        try:
            campaign_id, structure = run_in_transaction(lambda session, slug=path.stem: store_structures(session, slug))
        except CampaignError as error:
            results.append({"campaign": path.stem, "error": str(error)})
            continue
        results.append({"campaign": path.stem, "campaign_id": campaign_id, **describe(structure),
                        "scenes_per_act": structure.pacing.scenes_per_act, "npc_roles": structure.npc_roles,
                        "location_types": structure.location_types})
    return results


@app.task(name=keys.ANALYZE_TASK, base=DndTask, user_facing_name="the structure analysis")
def analyze(destination: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    destination = destination or {}
    edit_key = f"meta:analyze:{uuid.uuid4().hex[:10]}"
    _tell(destination, edit_key, "🔎 Analysing campaign structures…")
    started = time.monotonic()
    results = analyze_all()
    lines = [f"🔎 Campaign structures analysed ({len(results)} campaigns, {time.monotonic() - started:.1f}s), "
             "stored in campaign_structures:"]
    for result in results:
        if "error" in result:
            lines.append(f"• `{result['campaign']}`: ⚠️ {result['error']}")
        else:
            lines.append(f"• **{result['title']}** (`{result['campaign']}`): {result['acts']} acts, "
                         f"scenes per act {result['scenes_per_act']}, {result['npcs']} NPCs, "
                         f"{result['locations']} locations, {result['hooks']} hooks")
    _tell(destination, edit_key, "\n".join(lines))
    return results


@app.task(name=keys.NEW_CAMPAIGN_TASK, base=DndTask, user_facing_name="the new campaign")
def new_campaign(destination: dict[str, Any], description: str) -> dict[str, Any]:
    """Description + extracted structures → a campaign file (template) → tables → its index (ingest queue)."""
    from tasks.rag import new_job

    job_id = uuid.uuid4().hex[:12]
    edit_key = f"rag:{job_id}"
    started = time.monotonic()
    _tell(destination, edit_key, "🛠️ New campaign [1/3] reading the campaign structures…")
    references = run_in_transaction(lambda session: reference_structures(session))
    try:
        structure = generate_campaign(description, references)
    except CampaignError as error:
        _tell(destination, edit_key, f"❌ {error}")
        return {"error": str(error)}
    slug, path = write_generated(structure)
    _tell(destination, edit_key, f"🛠️ New campaign [2/3] wrote `{path.name}` ({describe(structure)['scenes']} scenes); "
                                 "filling the campaign tables…")
    loaded = run_in_transaction(lambda session: load_into_db(session, slug))
    run_in_transaction(lambda session: store_structures(session, slug))
    _tell(destination, edit_key, f"🛠️ New campaign [3/3] **{loaded.title}** (`{slug}`) saved "
                                 f"({loaded.npcs_added} NPCs, {loaded.locations_added} locations, "
                                 f"{loaded.hooks_added} plot threads) in {format_duration(time.monotonic() - started)};"
                                 " indexing it…")
    job = new_job(f"campaign:{slug}", destination, job_id)  # the indexing job keeps editing this message
    app.send_task(keys.REBUILD_INDEX_TASK, kwargs={"target": f"campaign:{slug}", "job": job})
    return {"slug": slug, "campaign_id": loaded.campaign_id, "file": path.name}
