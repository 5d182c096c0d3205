"""GET /api/v1/stream/: the Server-Sent Events stream (docs/monitor.md, "Push stream").

An async view, served by the ASGI server (koel/asgi.py): an open stream is a coroutine waiting
on its subscriber's queue, holding no worker thread. The WSGI server answers the same path with
a redirect to the stream server, so a client that knows only the main host still gets there.
"""

import asyncio
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse

from monitor.stream.address import cors_headers, stream_url
from monitor.stream.gate import Opening, gate
from monitor.stream.hub import Hub, Subscriber, current_hub, replay, signals_hook

HEARTBEAT = b": heartbeat\n\n"
CLOSING = b": server shutting down\n\n"


class StreamRedirect(HttpResponseRedirect):
    status_code = 307


async def stream(request) -> HttpResponse:
    if not isinstance(request, ASGIRequest):
        query = request.META.get("QUERY_STRING", "")
        return StreamRedirect(stream_url(request) + (f"?{query}" if query else ""))
    answer = await sync_to_async(gate)(request)
    if answer.status_code != 200:
        answer.render()
        with_cors(answer, request)
        return answer
    response = StreamingHttpResponse(events(answer.data), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on as it comes
    with_cors(response, request)
    return response


def with_cors(response: HttpResponse, request) -> None:
    for name, value in cors_headers(request).items():
        response[name] = value


async def events(opening: Opening) -> AsyncIterator[bytes]:
    hub = current_hub()
    signals_hook()
    subscriber = Subscriber(opening.pairs, opening.owner)
    await hub.join(subscriber)
    try:
        yield f"retry: {settings.KOEL_STREAM_RETRY_MS}\n\n".encode()
        sent = opening.last_event or (0, 0)
        if opening.last_event is not None:
            missed = [item for item in await replay(hub.redis, sent) if subscriber.wants(item)]
            if missed:
                yield b"".join(item.frame for item in missed)
                sent = missed[-1].order
        async for chunk in live(subscriber, hub, sent):
            yield chunk
    finally:
        hub.leave(subscriber)


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
