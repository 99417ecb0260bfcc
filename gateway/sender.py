"""Sends tasks by name. The gateway never imports task code: only names (`keys`) and the shared Celery config."""

from __future__ import annotations

from typing import Any

from celery import Celery


class TaskSender:
    def __init__(self) -> None:
        self.app = Celery("dnd-gateway")
        self.app.config_from_object("celeryconfig")

    def send(self, task_name: str, *args: Any) -> None:
        # Routing (the queue) comes from celeryconfig.task_routes, by name. No result is stored: nothing
        # reads one, and storing it costs the worker two Redis writes per task.
        self.app.send_task(task_name, args=list(args), ignore_result=True)
