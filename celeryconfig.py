"""Celery configuration shared by the workers and the gateway (which only sends tasks by name).

Queues: `commands` (player commands, never behind long jobs), `turns` (CPU side of narrative turns),
`inference` (the single GPU worker), `ingest` (index rebuilds), `shops`, `analysis`.
"""

from __future__ import annotations

from typing import Any

from kombu import Queue

import keys
from settings import get_settings

_settings = get_settings()

QUEUES = ("commands", "turns", "inference", "ingest", "shops", "analysis")

broker_url = _settings.celery_broker_url
result_backend = _settings.celery_broker_url
broker_connection_retry_on_startup = True
broker_pool_limit = 20
# Redelivery of a message whose worker vanished without acking (the whole process killed). Longer than any
# task's hard time limit; long jobs are split into short steps. Turns also have their own watchdog.
broker_transport_options = {"visibility_timeout": 900, "socket_keepalive": True}
result_backend_transport_options = {"retry_policy": {"timeout": 5.0}}

task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]
event_serializer = "json"

task_queues = tuple(Queue(name, routing_key=name) for name in QUEUES)
task_default_queue = "commands"
task_routes = {
    keys.SWITCH_MODEL_TASK: {"queue": "ingest"},  # waits minutes for the model server
    keys.IMPORT_SRD_TASK: {"queue": "ingest"},
    "tasks.commands.*": {"queue": "commands"},
    "tasks.system.*": {"queue": "commands"},
    keys.GENERATE_TURN_TASK: {"queue": "inference"},
    "tasks.turns.*": {"queue": "turns"},
    "tasks.rag.*": {"queue": "ingest"},
    "tasks.shops.*": {"queue": "shops"},
    "tasks.meta.*": {"queue": "analysis"},
}

# A task is acknowledged only when it finished, and requeued when its worker process died under it;
# tasks.base counts attempts so a task that always kills its worker ends in a dead letter, not a loop.
task_acks_late = True
task_reject_on_worker_lost = True
task_acks_on_failure_or_timeout = True
worker_prefetch_multiplier = 1
task_soft_time_limit = 120
task_time_limit = 180
task_ignore_result = True
result_expires = 3600
worker_max_tasks_per_child = 10000
worker_cancel_long_running_tasks_on_connection_loss = True

# Flower and `!system_stats` see every task from the workers' events (received, started, done). No
# `task-sent` event: it would cost every sender (the gateway first) a publish per message and adds nothing
# the `received` event does not show a moment later.
worker_send_task_events = True
task_send_sent_event = False
task_track_started = True
worker_hijack_root_logger = False

# The sweeper runs from the embedded beat of one `cpu` worker (see workers/profiles.py).
SWEEP_INTERVAL_S = 5.0
beat_schedule = {
    "sweep": {"task": keys.SWEEP_TASK, "schedule": SWEEP_INTERVAL_S, "options": {"expires": 30}},
}


def _reuse_redis_clients() -> None:
    """kombu builds a new redis-py client for every publish, event and ack (`Channel._create_client`), and one
    costs ~60 µs to build in redis-py 8: several per task on the hot path. A client is a thread-safe handle on
    the channel's connection pool, so one per pool serves them all."""
    from kombu.transport import redis as kombu_redis

    original = kombu_redis.Channel._create_client
    if getattr(original, "reuses_clients", False):
        return

    def create_client(self: Any, asynchronous: bool = False) -> Any:
        if asynchronous:
            return original(self, asynchronous=True)
        cached = self.__dict__.get("_sync_client")
        if cached is None or cached.connection_pool is not self.pool:
            cached = self.__dict__["_sync_client"] = original(self)
        return cached

    create_client.reuses_clients = True  # type: ignore[attr-defined]
    kombu_redis.Channel._create_client = create_client


# Every process that talks to the broker loads this module (workers, Flower, the gateway's sender).
_reuse_redis_clients()
