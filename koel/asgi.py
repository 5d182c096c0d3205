"""ASGI entry point: the push stream's server (`granian --interface asgi koel.asgi:application`,
started beside the WSGI one by `make run` and the compose file's `stream` service).

Django answers every path here as under WSGI, but an open stream (monitor/stream/views.py) is
a coroutine, not a thread. The lifespan protocol, which Django does not speak, is answered
here: at shutdown every stream of the process is ended (granian sends it only once requests
have finished, so SIGTERM ends the streams first: monitor.stream.hub.signals_hook).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")

django_application = get_asgi_application()

from monitor.stream.hub import hubs_close  # noqa: E402  (needs the app registry set up above)


async def application(scope, receive, send) -> None:
    if scope["type"] != "lifespan":
        await django_application(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            hubs_close()
            await send({"type": "lifespan.shutdown.complete"})
            return
