"""Batches formed when the model is free (generate tasks carry no ETA, so there is no ETA handling here).

celery-batches flushes its buffer on a timer whether or not the previous batch has finished, so behind a slow
model the pool queues many small batches that then run one after another. Here, while a batch is with the
model, requests keep buffering; the tick after it returns sends everything that arrived meanwhile as one batch
(vLLM serves a batch concurrently, so a bigger batch costs about the same time as a small one).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from celery.worker.request import Request
from celery_batches import Batches, SimpleRequest, consume_queue
from celery_batches.trace import apply_batches_task

# Longer than any batch can take (the chain's overall deadline is a few LLM timeouts): past it, a batch whose
# result never came back is assumed lost rather than blocking the worker forever.
STUCK_BATCH_S = 900.0


class ModelBatches(Batches):
    abstract = True
    _in_flight = False
    _in_flight_since = 0.0

    def _do_flush(self) -> None:
        if self._in_flight and time.monotonic() - self._in_flight_since < STUCK_BATCH_S:
            return  # the timer keeps ticking; the buffer grows until the model is free
        waiting = list(consume_queue(self._buffer))
        if not waiting:
            if self._tref is not None:
                self._tref.cancel()
                self._tref = None
            return
        # At most `flush_every` per batch (GPU_BATCH_MAX=1 makes a one-request-at-a-time worker); the rest wait.
        for request in waiting[self.flush_every:]:
            self._buffer.put(request)
        self.flush(waiting[:self.flush_every])

    def flush(self, requests: Collection[Request]) -> Any:
        acks_early = [request for request in requests if not request.task.acks_late]
        acks_late = [request for request in requests if request.task.acks_late]
        serializable = ([SimpleRequest.from_request(request) for request in requests],)
        self._in_flight, self._in_flight_since = True, time.monotonic()

        def on_accepted(pid: int, time_accepted: float) -> None:
            for request in acks_early:
                request.acknowledge()

        def on_return(result: Any) -> None:
            self._in_flight = False
            for request in acks_late:
                request.acknowledge()

        def on_error(error: Any) -> None:
            # The pool process died with the batch: its messages stay unacknowledged (redelivered), and the
            # turn watchdog re-drives the turns sooner.
            self._in_flight = False

        return self._pool.apply_async(apply_batches_task, (self, serializable, 0, None),
                                      accept_callback=on_accepted, callback=on_return, error_callback=on_error)
