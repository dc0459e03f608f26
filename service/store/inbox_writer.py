"""Group commit for the webhook inbox: requests that arrive together share one INSERT and one commit.

A request hands its event to the writer thread and waits for its own commit before answering 202, so
nothing is acknowledged that is not durable; but one commit covers every request queued meanwhile,
which is what lets one process take in thousands of deliveries a second. A database error fails every
request of the batch (the routes answer 503 and the trackers retry).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from service.store import inbox

MAX_BATCH = 500


@dataclass
class Pending:
    """One verified delivery: its identity, the event parsed at intake (JSON text), the raw request."""

    source_id: int
    delivery_id: str
    event_type: str
    event_json: str
    headers: dict[str, str]
    body: bytes
    done: Future[bool] = field(default_factory=Future)


class IntakeWriter:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="poalign-intake", daemon=True)
        self._thread.start()

    async def store(self, pending: Pending) -> bool:
        """True when this delivery is new, False for a duplicate; after the commit that made it durable."""
        self._queue.put(pending)
        return await asyncio.wrap_future(pending.done)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(item)
            self._write(batch)

    def _write(self, batch: list[Pending]) -> None:
        try:
            with self.factory.begin() as session:
                created = inbox.enqueue_many(
                    session,
                    [
                        (
                            item.source_id,
                            item.delivery_id,
                            item.event_type,
                            item.headers,
                            item.body,
                            item.event_json,
                        )
                        for item in batch
                    ],
                )
        except Exception as error:  # every waiter learns the batch failed; the trackers will retry
            for item in batch:
                item.done.set_exception(error)
            return
        seen: set[tuple[int, str]] = set()
        for item in batch:
            key = (item.source_id, item.delivery_id)
            item.done.set_result(key in created and key not in seen)
            seen.add(key)
