"""PUO Memo real-time client for Python (asyncio, the `websockets` library).

    ws = PuoMemoWebSocket(token="...")  # url: PUO_MEMO_URL, else ws://localhost:3000/api/v4/ws
    ws.on("memory.created", handle_new_memory)
    await ws.connect()

Same behaviour as the JavaScript client: reconnect with jittered backoff (the server's retryAfterMs
honoured on 1012/1013, 4400-4499 terminal), a fresh token from get_token() before every connect,
resume from the last seq with `since`, events de-duplicated by id, `resync` on resume_unavailable, an
offline queue for frames sent while disconnected, and a watchdog that reconnects a silent link.
"""
import asyncio
import inspect
import json
import os
import random
import time
import uuid

from typing import Any, Awaitable, Callable, Dict, Iterable, Optional, Union

import websockets

from .frames import ChannelName, HistoryData, MemoryJson, OnlineUser, ServerFrame

#: Called with (data) or (data, frame: ServerFrame); may be a coroutine function. The shapes of every
#: frame and its data are in puo_memo.frames (generated from the server's protocol schemas).
Handler = Callable[..., Union[None, Awaitable[None]]]
#: Returns a fresh token (or a coroutine resolving to one); called before every connect.
TokenSource = Callable[[], Union[str, Awaitable[str]]]

__all__ = [
    "PuoMemoWebSocket",
    "AuthenticationError",
    "ChannelName",
    "HistoryData",
    "MemoryJson",
    "OnlineUser",
    "ServerFrame",
]


class AuthenticationError(ConnectionError):
    """The credential was refused or has expired; retrying it cannot help."""


def _refusal_status(err):
    """The HTTP status of a refused upgrade, across websockets versions (InvalidStatusCode / InvalidStatus)."""
    status = getattr(err, "status_code", None)
    if status is None:
        status = getattr(getattr(err, "response", None), "status_code", None)
    return status


class PuoMemoWebSocket:
    def __init__(
        self,
        token: Optional[str] = None,
        url: Optional[str] = None,
        get_token: Optional[TokenSource] = None,
        channels: Iterable[ChannelName] = ("memories",),
        min_delay: float = 0.5,
        max_delay: float = 30.0,
        ping_interval: float = 25.0,
        watchdog: Optional[float] = None,
        queue_max: int = 100,
        queue_ttl: float = 60.0,
    ) -> None:
        if token is None and get_token is None:
            raise ValueError("give token= or get_token=")
        self.url = url or os.environ.get("PUO_MEMO_URL") or "ws://localhost:3000/api/v4/ws"
        self.state: str = "idle"
        self.last_seq: Optional[int] = None
        self.epoch: Optional[str] = None
        self._token = token
        self._get_token = get_token
        self._channels = list(channels)
        self._handlers = {}
        self._seen = {}  # event ids, insertion-ordered
        self._pending_subscriptions = set()
        self._last_failure = None
        self._queue = []
        self._queue_max, self._queue_ttl = queue_max, queue_ttl
        self._min_delay, self._max_delay = min_delay, max_delay
        self._ping_interval = ping_interval
        self._watchdog = watchdog if watchdog is not None else ping_interval * 2 + 5
        self._ws = None
        self._wanted = False
        self._task = None
        self._opened = None

    def on(self, event_type: str, handler: Handler) -> Callable[[], None]:
        """Handle a server frame type ("memory.created", …) or a client event: state, error, resync,
        closed, auth_failed. Returns a function that removes the handler."""
        self._handlers.setdefault(event_type, []).append(handler)
        return lambda: self.off(event_type, handler)

    def off(self, event_type: str, handler: Handler) -> None:
        if handler in self._handlers.get(event_type, []):
            self._handlers[event_type].remove(handler)

    async def connect(self, timeout: float = 10.0) -> None:
        """Connects and keeps reconnecting until disconnect().

        Returns once subscribed to every channel given (or connected, when none). Raises
        AuthenticationError at once when the credential is refused or expired, and ConnectionError,
        naming the last failure, when that does not happen within `timeout` seconds; after either it
        has stopped (state "closed").
        """
        self._wanted = True
        self._opened = asyncio.get_running_loop().create_future()
        self._pending_subscriptions = set(self._channels)
        self._last_failure = None
        self._task = asyncio.create_task(self._run())
        try:
            await asyncio.wait_for(asyncio.shield(self._opened), timeout)
        except asyncio.TimeoutError:
            await self.disconnect()
            raise ConnectionError(
                f"could not connect to {self.url} within {timeout:g} s"
                + (f": {self._last_failure}" if self._last_failure else "")
            ) from None
        except AuthenticationError:
            await self.disconnect()
            raise

    async def disconnect(self) -> None:
        self._wanted = False
        if self._ws is not None:
            await self._ws.close(1000, "client disconnect")
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._set_state("closed")

    async def subscribe(self, channel: ChannelName) -> None:
        if channel not in self._channels:
            self._channels.append(channel)
        await self.send("subscribe", self._subscription(channel))

    async def send(self, frame_type: str, data: Optional[Dict[str, Any]] = None) -> None:
        """Sends now, or queues until the connection is open again (oldest dropped when full)."""
        frame = json.dumps({"id": str(uuid.uuid4()), "type": frame_type,
                            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "data": data or {}})
        if self._ws is not None and self.state == "open":
            await self._ws.send(frame)
        else:
            self._queue.append((time.monotonic(), frame))
            if len(self._queue) > self._queue_max:
                self._queue.pop(0)
                await self._emit("error", RuntimeError("offline queue full: oldest message dropped"))

    def _subscription(self, channel):
        if channel == "memories" and self.last_seq is not None:
            sub = {"channel": channel, "since": self.last_seq}
            if self.epoch:
                sub["epoch"] = self.epoch
            return sub
        return {"channel": channel}

    async def _run(self):
        attempt = 0
        while self._wanted:
            await self._set_state("connecting" if attempt == 0 else "reconnecting")
            hint = 0.0
            try:
                token = self._token
                if self._get_token is not None:
                    token = self._get_token()
                    if inspect.isawaitable(token):
                        token = await token
                async with websockets.connect(f"{self.url}?token={token}") as ws:
                    self._ws = ws
                    attempt = 0
                    await self._serve(ws)
            except asyncio.CancelledError:
                raise
            except websockets.ConnectionClosed as closed:
                code, reason = closed.code, closed.reason
                if code == 4001 and self._get_token is None:
                    await self._auth_failed("token expired")  # a fixed token cannot be renewed
                    break
                if code is not None and 4400 <= code <= 4499:
                    self._wanted = False
                    await self._emit("closed", {"code": code, "reason": reason})
                    break
                if code in (1012, 1013):
                    try:
                        hint = json.loads(reason).get("retryAfterMs", 0) / 1000
                    except (ValueError, AttributeError):
                        hint = 0.0
            except Exception as err:  # refused upgrade, DNS, token source …: report and retry
                if _refusal_status(err) == 401:
                    await self._auth_failed("credential refused (HTTP 401)")
                    break
                self._last_failure = f"{type(err).__name__}: {err}"
                await self._emit("error", err)
            finally:
                self._ws = None
            if not self._wanted:
                break
            await self._set_state("reconnecting")
            ceiling = min(self._max_delay, self._min_delay * 2 ** attempt)
            attempt += 1
            await asyncio.sleep(max(hint, random.uniform(0, ceiling)))
        await self._set_state("closed")

    async def _auth_failed(self, reason):
        self._wanted = False
        await self._emit("auth_failed", {"reason": reason})
        if self._opened is not None and not self._opened.done():
            self._opened.set_exception(AuthenticationError(reason))

    def _mark_open(self, channel=None):
        self._pending_subscriptions.discard(channel)
        if not self._pending_subscriptions and self._opened is not None and not self._opened.done():
            self._opened.set_result(None)

    async def _serve(self, ws):
        last_heard = time.monotonic()
        next_ping = time.monotonic() + self._ping_interval
        while True:
            timeout = max(0.05, min(next_ping, last_heard + self._watchdog) - time.monotonic())
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout)
            except asyncio.TimeoutError:
                now = time.monotonic()
                if now - last_heard > self._watchdog:
                    await ws.close(1000, "watchdog")  # silent too long: start over
                    raise websockets.ConnectionClosed(None, None)
                if now >= next_ping:
                    next_ping = now + self._ping_interval
                    await self.send("ping")
                continue
            last_heard = time.monotonic()
            await self._receive(ws, raw)

    async def _receive(self, ws, raw):
        try:
            frame = json.loads(raw)
        except ValueError:
            return await self._emit("error", ValueError("received a frame that is not JSON"))
        ftype, data = frame.get("type"), frame.get("data") or {}
        if ftype == "connected":
            await self._set_state("open")
            for channel in self._channels:
                await self.send("subscribe", self._subscription(channel))
            fresh, self._queue = [f for (t, f) in self._queue if time.monotonic() - t <= self._queue_ttl], []
            for f in fresh:
                await ws.send(f)
            if not self._channels:
                self._mark_open()
            return
        if ftype == "error" and data.get("code") == "resume_unavailable":
            self.last_seq = None
            self.epoch = None
            await self._emit("resync", data)
            return await self.send("subscribe", {"channel": "memories"})
        if ftype == "subscribed":
            self._mark_open(data.get("channel"))
        if ftype == "subscribed" and data.get("channel") == "memories":
            # Sent after the replay it answers: every event up to this seq has been received.
            self.last_seq = max(self.last_seq or 0, data.get("seq", 0))
            if data.get("epoch"):
                self.epoch = data["epoch"]
        if "seq" in frame:
            if frame["id"] in self._seen:
                return
            self._seen[frame["id"]] = None
            if len(self._seen) > 5000:
                # dicts keep insertion order: forget the oldest ids, never recent ones.
                for old in list(self._seen)[:1000]:
                    del self._seen[old]
            self.last_seq = max(self.last_seq or 0, frame["seq"])
        await self._emit(ftype, data, frame)

    async def _set_state(self, state):
        if self.state != state:
            self.state = state
            await self._emit("state", state)

    async def _emit(self, event_type, data, frame=None):
        """An exception in an application handler never breaks the client: it becomes an `error` event."""
        for handler in list(self._handlers.get(event_type, [])):
            try:
                params = len(inspect.signature(handler).parameters)
                result = handler(data, frame) if params >= 2 else handler(data)
                if inspect.isawaitable(result):
                    await result
            except Exception as err:
                if event_type != "error":
                    await self._emit("error", err)
