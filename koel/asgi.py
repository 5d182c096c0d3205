"""ASGI entry point: the push stream's server (`granian --interface asgi koel.asgi:application`,
started beside the WSGI one by `make run` and the compose file's `stream` service).

GET /api/v1/stream/ is answered by monitor.stream.app before Django's handler, which would hold
a thread for every open stream; Django answers every other path as under WSGI. The lifespan
protocol, which Django does not speak, is answered
here: at shutdown every stream of the process is ended (granian sends it only once requests
have finished, so SIGTERM ends the streams first: monitor.stream.hub.signals_hook).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koel.settings")
os.environ.setdefault("KOEL_WEB_PROCESS", "1")  # statement_timeout, as in koel.wsgi

django_application = get_asgi_application()

# Both need the app registry set up above.
from monitor.stream.address import STREAM_PATH  # noqa: E402
from monitor.stream.app import stream_app  # noqa: E402
from monitor.stream.hub import hubs_close  # noqa: E402


async def application(scope, receive, send) -> None:
    if scope["type"] == "http" and scope["path"] == STREAM_PATH:
        await stream_app(scope, receive, send)
    elif scope["type"] != "lifespan":
        await django_application(scope, receive, send)
    else:
        await lifespan(receive, send)


async def lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            hubs_close()
            await send({"type": "lifespan.shutdown.complete"})
            return
