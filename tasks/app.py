"""The Celery application of the workers."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.result import AsyncResult

TASK_MODULES = ["tasks.commands", "tasks.turns", "tasks.system", "tasks.rag", "tasks.meta", "tasks.shops"]


class DndCelery(Celery):
    def send_task(self, name: str, args: Any = None, kwargs: Any = None, **options: Any) -> AsyncResult:
        # A task sent by name can't know its own `ignore_result`, so Celery would ask the worker to store a
        # result nobody reads (two Redis writes per task: STARTED and SUCCESS). The configured default holds.
        options.setdefault("ignore_result", self.conf.task_ignore_result)
        return super().send_task(name, args, kwargs, **options)


app = DndCelery("dnd", include=TASK_MODULES)
app.config_from_object("celeryconfig")
