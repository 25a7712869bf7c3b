"""The app's keys, one at a time, each to where it would have gone typed slowly.

Over a laggy SSH link a whole line of keystrokes arrives in one read, and Textual hands every key
of it to the widget focused *now*, before the first one is handled: `D` then a title typed the
title into the panel (and ran the panel's keys) while the declare dialog was still opening; `/pay`
put "pay" in the panel, not the filter bar; the keys after a dialog's Enter went into the field
that was closing, and the next dialog never saw them.

The queue holds the keys the app reads and lets the next one go only once the one before it has
been handled (its bindings run, and the messages it caused, such as a field's submit or a button's
press, have reached the dialog) and no dialog transition is pending:

- a key started a flow (`hold`) whose dialog is not up yet, or whose dialog has answered while the
  next one is still to come;
- the top screen is opening (not mounted yet) or is a dialog that has answered and is closing.

So what was typed reaches the next dialog, the filter bar or the war room, in order. One rule
keeps a burst from doing what nobody typed: an Enter or escape still waiting when the Enter or
escape before it closed a dialog or moved on from its field is a repeat of that answer (a paste's
trailing newlines, a bounce), and is dropped. Everything else waits its turn, never longer than
`HOLD_S` for a transition that does not come (a flow that shows no dialog after all, a slow
record): then the keys go on to whatever is on screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.widget import Widget

from panels.dialog import Dialog

# An answer's repeats: the same key again, already waiting when it closed or moved on.
REPEATS = frozenset({"enter", "escape"})
HOLD_S = 3.0  # the longest keys wait for a transition (a slow record): then they go on
SETTLE_ROUNDS = 40  # the most rounds a key waits for what it caused (a busy screen: go on anyway)
POLL_S = 0.02  # how often held keys look again whether they may go


class Hold:
    """One flow's claim on the keys typed after it, until it ends (`release`)."""

    def __init__(self, queue: KeyQueue) -> None:
        self.queue = queue

    def release(self) -> None:
        self.queue._release(self)


class KeyQueue:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.waiting: deque[events.Key] = deque()
        self.current: events.Key | None = None  # the key let go, until what it caused is done
        self.sent: deque[events.Key] = deque()  # let go, not yet read by the app again
        self._before: tuple[Any, Any, bool] = (None, None, False)
        self._typing: Widget | None = None  # the field the key let go was typed into, if it was
        self.holds: list[Hold] = []
        self._blocked_since: float | None = None  # since when the next key waits for a transition
        self._wake = asyncio.Event()
        self._read = asyncio.Event()  # the key let go has been read by the app again
        self._task: asyncio.Task[None] | None = None

    # ---- the app's side ------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="warroom key queue")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def take(self, event: events.Key) -> bool:
        """A key the app has read (not yet handled): True when the queue keeps it for later,
        False when the app handles it now (its turn: nothing before it is still on its way)."""
        if self._task is None or self._task.done():
            return False
        if self.sent and event is self.sent[0]:
            self.sent.popleft()  # its turn: the app handles it now
            if not self.sent:
                self._read.set()
            return False
        if self.current is None and not self.waiting and not self.sent and self._open():
            self._send(event)
            self.sent.clear()  # handled now, by the caller
            self._read.set()
            return False
        self.waiting.append(event)
        self._wake.set()
        return True

    def hold(self) -> Hold:
        """The keys typed from now on wait for this flow's dialog (or its end)."""
        hold = Hold(self)
        self.holds.append(hold)
        return hold

    def _release(self, hold: Hold) -> None:
        with contextlib.suppress(ValueError):
            self.holds.remove(hold)
        self._wake.set()

    # ---- where a key may go ----------------------------------------------------------------------
    def _open(self) -> bool:
        """Whether the next key may go now."""
        try:
            screen = self.app.screen
        except Exception:
            return True
        if not screen.is_mounted:
            return False  # opening: its focus is not set yet
        if isinstance(screen, Dialog):
            return screen.ready and not screen.answered
        return not self.holds  # a flow's dialog is still to come

    async def _run(self) -> None:
        while True:
            try:
                if self.current is not None:
                    await self._settle()
                    self._drop_repeats()
                    self.current = None
                    continue
                if not self.waiting:
                    self._blocked_since = None  # the next wait is timed afresh
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                if not self._open():
                    if self._blocked_since is None:
                        self._blocked_since = time.monotonic()
                    if time.monotonic() - self._blocked_since < HOLD_S:
                        self._wake.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), POLL_S)
                        continue
                    # Nothing came of the wait (a slow record, a dialog that never opened): the
                    # keys go on to whatever is on screen rather than stay stuck here, until the
                    # way is open again.
                else:
                    self._blocked_since = None
                key = self.waiting.popleft()
                self._send(key)
                if not self.app.post_message(key):
                    self.current = None  # the app is closing
                    self.sent.clear()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the keys must keep coming whatever went wrong here
                self.current = None
                self.sent.clear()
                self.app.log.error("key queue", err)

    def _send(self, key: events.Key) -> None:
        """`key` is on its way: what it was sent to, to see afterwards whether it moved on."""
        screen = self.app.screen
        focused = self.app.focused
        self.current = key
        self.sent.append(key)
        self._read.clear()
        self._before = (screen, focused, isinstance(screen, Dialog) and screen.answered)
        # A character typed into a field only changes the field: the next key may follow it at
        # once (the app hands both to the same field, in order). Its Changed messages trail
        # behind, as they always did, so a filter typed over 10 000 rows still applies once per
        # burst, not once per letter.
        self._typing = (
            focused
            if focused is not None
            and key.is_printable
            and focused.check_consume_key(key.key, key.character)
            and not self._bound(key.key)
            else None
        )
        self._wake.set()

    def _bound(self, key: str) -> bool:
        """Whether a binding up the focused chain answers `key` (then it is not just typed)."""
        try:
            chain = self.app.screen._modal_binding_chain
        except Exception:
            return True
        return any(bindings.key_to_bindings.get(key) for _, bindings in chain)

    def _drop_repeats(self) -> None:
        key = self.current
        screen, focused, answered = self._before
        if key is None or key.key not in REPEATS:
            return
        moved_on = (
            self.app.screen is not screen
            or (isinstance(screen, Dialog) and screen.answered and not answered)
            or self.app.focused is not focused
        )
        if moved_on:
            while self.waiting and self.waiting[0].key == key.key:
                self.waiting.popleft()

    # ---- waiting for a key to be handled --------------------------------------------------------
    def _path(self) -> list[MessagePump]:
        """The nodes a key and what it causes travel through: the focused widget up to the app
        (only the field, for a character typed into one)."""
        nodes: list[MessagePump] = []
        node: DOMNode | None
        try:
            node = self.app.focused or self.app.screen
        except Exception:
            node = None
        while node is not None:
            nodes.append(node)
            node = node._parent if isinstance(node._parent, DOMNode) else None
        if self.app not in nodes:
            nodes.append(self.app)
        return nodes

    async def _settle(self) -> None:
        """Until the key let go, and the messages it caused along its path (a submit, a press, a
        focus moved, a dialog pushed), have all been handled: rounds of a callback to every node
        of the path, until a round starts and ends with nothing queued there. A character typed
        into a field needs none of that: it changes nothing but the field."""
        if self._typing is not None:
            return  # the app hands it, and any key behind it, to the same field, in order
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._read.wait(), HOLD_S)  # the app has it (and forwarded it)
        for _ in range(SETTLE_ROUNDS):
            before = self._path()
            quiet = not self.sent and not any(n.message_queue_size for n in before)
            await self._round(before)
            after = self._path()
            if quiet and after == before and not any(n.message_queue_size for n in after):
                return

    async def _round(self, nodes: list[MessagePump]) -> None:
        loop = asyncio.get_running_loop()
        pending: list[tuple[MessagePump, asyncio.Future[None]]] = []
        for node in nodes:
            done: asyncio.Future[None] = loop.create_future()
            if node.call_later(done.set_result, None):
                pending.append((node, done))
        while pending:
            await asyncio.wait([done for _, done in pending], timeout=POLL_S)
            # A node closed meanwhile (a dialog popped) never runs its callback.
            pending = [(n, d) for n, d in pending if not d.done() and not (n._closing or n._closed)]
