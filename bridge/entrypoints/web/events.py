"""Server-sent events: every change of a ticket, pushed to every open page and API stream.

One poller per web process watches the store's change feed (the history's latest entry
number, one primary-key lookup) every ``POLL_SECONDS``; when it moved, it reads the tickets
changed and hands each to every subscriber allowed to see it. So a ticket that another
process (``vigie notify``, the ``vigie`` command) commits reaches the pages within about
one poll, and 200 open pages cost one query, not 200. On PostgreSQL the poller does not
poll: it is woken by LISTEN/NOTIFY (a trigger announces each new history entry, whichever
master committed it), with a slow poll kept only as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from bridge.domain.accounts import User, may_see
from bridge.entrypoints.render import ticket_json
from bridge.services.billing import breached
from bridge.services.queue import changes_since, last_change
from bridge.store.errors import StoreError
from bridge.store.unit_of_work import UnitOfWork, announcements, open_store

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bridge.config.model import Config

POLL_SECONDS = 0.25
# On PostgreSQL a notification wakes the poller; this bounds a missed one (a reconnect).
LISTEN_POLL_SECONDS = 5.0
KEEPALIVE_SECONDS = 15.0
QUEUE_LIMIT = 1000  # a client this far behind is dropped; its browser reconnects


class ChangeFeed:
    """The store's changes, fanned out to one asyncio queue per connected stream."""

    def __init__(self, store: Path, tz: tzinfo, config: Config | None = None) -> None:
        self._store = store
        self._tz = tz
        self._config = config
        self._subscribers: dict[asyncio.Queue[str | None], User] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._listening = threading.Event()  # set: the listener thread stops

    @property
    def subscribers(self) -> int:
        """How many streams are open."""
        return len(self._subscribers)

    def subscribe(self, user: User) -> asyncio.Queue[str | None]:
        """A queue that receives the changes this account may see (None: stream over)."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers[queue] = user
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str | None]) -> None:
        """Forget a stream that went away."""
        self._subscribers.pop(queue, None)

    async def start(self) -> None:
        """Start polling the store (at the app's start-up)."""
        position = await run_in_threadpool(last_change, self._uow())
        if self._config is not None and self._config.store_url is not None:
            self._wake = asyncio.Event()
            loop = asyncio.get_running_loop()
            threading.Thread(
                target=self._listen, args=(self._config, loop, self._wake), daemon=True
            ).start()
        self._task = asyncio.create_task(self._poll(position))

    def _listen(self, config: Config, loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> None:
        """The listener thread: each announcement wakes the poller; a lost connection is
        made again a second later."""
        while not self._listening.is_set():
            try:
                changes = announcements(config, 1.0)
                assert changes is not None
                for heard in changes:
                    if self._listening.is_set():
                        return
                    if heard:
                        loop.call_soon_threadsafe(wake.set)
            except (StoreError, RuntimeError):
                self._listening.wait(1.0)

    async def stop(self) -> None:
        """Stop polling and end every open stream."""
        self._listening.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    def _uow(self) -> UnitOfWork:
        if self._config is not None:
            return open_store(self._config, write=False)
        return UnitOfWork(self._store, write=False)

    async def _poll(self, position: int) -> None:
        while True:
            if self._wake is None:
                await asyncio.sleep(POLL_SECONDS)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), LISTEN_POLL_SECONDS)
                self._wake.clear()
            try:
                position, tickets = await run_in_threadpool(changes_since, self._uow(), position)
            except StoreError:
                continue  # the store is busy or being replaced: try again next poll
            moment = datetime.now(UTC)
            for ticket in tickets:
                data = json.dumps(ticket_json(ticket, breached(ticket, moment), self._tz))
                message = f"event: ticket\nid: {position}\ndata: {data}\n\n"
                for queue, user in list(self._subscribers.items()):
                    if not may_see(user, ticket):
                        continue
                    try:
                        queue.put_nowait(message)
                    except asyncio.QueueFull:
                        self.unsubscribe(queue)


def stream(feed: ChangeFeed, user: User) -> StreamingResponse:
    """A ``text/event-stream`` response of the changes this account may see."""
    queue = feed.subscribe(user)

    async def messages() -> AsyncIterator[str]:
        try:
            # A first comment flushes the headers, so the browser's EventSource opens now.
            yield ": connected\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if message is None:
                    return
                yield message
        finally:
            feed.unsubscribe(queue)

    return StreamingResponse(
        messages(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
