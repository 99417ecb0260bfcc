"""The Celery application of the workers."""

from __future__ import annotations

from celery import Celery

TASK_MODULES = ["tasks.commands", "tasks.turns", "tasks.system", "tasks.rag", "tasks.meta", "tasks.shops"]

app = Celery("dnd", include=TASK_MODULES)
app.config_from_object("celeryconfig")
