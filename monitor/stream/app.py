"""The stream's ASGI application: GET /api/v1/stream/ (docs/monitor.md, "Push stream").

Mounted in koel/asgi.py in front of Django's ASGI handler, which holds a thread for every open
request (its per-request ThreadSensitiveContext keeps the thread its sync middleware ran in
until the response ends: measured, one thread per open stream, docs/benchmarks.md). Here an
open stream is two coroutines, its pump and its disconnect watch, waiting on its subscriber's
queue; the opening alone (authentication, throttle, parameters: monitor.stream.gate) runs in
Django's code on a small pool of threads, each keeping its database connection.
"""

import asyncio
import io
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.http import HttpResponse, JsonResponse

from monitor.stream.address import cors_headers
from monitor.stream.gate import Opening, gate
from monitor.stream.hub import Hub, Subscriber, current_hub
from rates.api.errors import error_body

HEARTBEAT = b": heartbeat\n\n"
CLOSING = b": server shutting down\n\n"
# Openings are short and mostly wait on the database and Redis: two threads, two connections.
_openers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stream-open")


async def stream_app(scope, receive, send) -> None:
    answer, cors = await opening(scope)
    if answer.status_code != 200:
        await respond(send, answer, cors)
        return
    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
               "X-Accel-Buffering": "no", **cors}  # fmt: skip
    hub, subscriber = current_hub(), Subscriber(answer.data.pairs, answer.data.owner)
    # Joined before the answer starts: a client that has the headers misses nothing after them.
    await hub.join(subscriber)
    try:
        await send({"type": "http.response.start", "status": 200, "headers": encoded(headers)})
        pump = asyncio.create_task(streamed(events(hub, subscriber, answer.data), send))
        watch = asyncio.create_task(disconnected(receive))
        del answer  # an open stream keeps only its subscriber, not the request and response
        await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
        for task in (pump, watch):
            task.cancel()
        await asyncio.gather(pump, watch, return_exceptions=True)
    finally:
        hub.leave(subscriber)


async def opening(scope) -> tuple[HttpResponse, dict[str, str]]:
    """The gate's answer to this request, and the CORS headers for its origin."""
    request = ASGIRequest(scope, io.BytesIO())
    cors = cors_headers(request)
    if request.method != "GET":
        refused = JsonResponse(
            error_body("method_not_allowed", "Only GET opens a stream."), status=405
        )
        refused["Allow"] = "GET"
        return refused, cors
    return await sync_to_async(opened, thread_sensitive=False, executor=_openers)(request), cors


def opened(request: ASGIRequest) -> HttpResponse:
    """The gate's answer (200 with the Opening as its data, else the error, rendered), run as
    Django runs a request: old connections dropped first, the session and user attached."""
    close_old_connections()
    try:
        request.get_host()  # ALLOWED_HOSTS, as Django's CommonMiddleware checks it
    except DisallowedHost as exc:
        return JsonResponse(error_body("invalid", str(exc), "Host"), status=400)
    SessionMiddleware(gate).process_request(request)
    AuthenticationMiddleware(gate).process_request(request)
    answer = gate(request)
    if answer.status_code != 200:
        answer.render()
    return answer


async def respond(send, response: HttpResponse, extra: dict[str, str]) -> None:
    headers = {**dict(response.items()), **extra}
    await send({"type": "http.response.start", "status": response.status_code,
                "headers": encoded(headers)})  # fmt: skip
    await send({"type": "http.response.body", "body": response.content})


def encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


async def streamed(chunks: AsyncIterator[bytes], send) -> None:
    async for chunk in chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def disconnected(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def events(hub: Hub, subscriber: Subscriber, opening: Opening) -> AsyncIterator[bytes]:
    """`retry:`, then what the client missed (Last-Event-ID), then the live events."""
    yield f"retry: {settings.KOEL_STREAM_RETRY_MS}\n\n".encode()
    sent = opening.last_event or (0, 0)
    if opening.last_event is not None:
        async for missed in hub.missed(subscriber, sent):
            if missed:
                yield b"".join(frame for _, frame in missed)
                sent = missed[-1][0]
    async for chunk in live(subscriber, hub, sent):
        yield chunk


async def live(subscriber: Subscriber, hub: Hub, sent: tuple[int, int]) -> AsyncIterator[bytes]:
    """The subscriber's events as they come (those replayed already skipped), a heartbeat
    after each quiet interval, until the server shuts down or the client falls behind."""
    heartbeat = settings.KOEL_STREAM_HEARTBEAT_SECONDS
    while True:
        try:
            async with asyncio.timeout(heartbeat):
                await subscriber.ready.wait()
        except TimeoutError:
            yield HEARTBEAT
            continue
        frames = [item.frame for item in subscriber.take() if item.order > sent]
        if frames:
            yield b"".join(frames)
        if subscriber.ended:
            if hub.closing:
                yield CLOSING
            return
