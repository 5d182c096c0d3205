"""A bare ASGI app holding SSE streams open, for bench/stream.py's memory baseline: what granian
itself costs per open streaming connection, without Koel (`granian --interface asgi
bench.stream_bare:app`)."""


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"retry: 3000\n\n", "more_body": True})
    while (await receive())["type"] != "http.disconnect":
        pass
