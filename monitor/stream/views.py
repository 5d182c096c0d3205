"""GET /api/v1/stream/ on the WSGI server: a redirect to the stream server (307, the query kept),
so that a client knowing only the main host still gets there. The stream itself is answered
by the ASGI server before Django's handler (monitor/stream/app.py, mounted in koel/asgi.py)."""

from django.http import HttpResponseRedirect

from monitor.stream.address import stream_url


class StreamRedirect(HttpResponseRedirect):
    status_code = 307


def stream_redirect(request) -> StreamRedirect:
    query = request.META.get("QUERY_STRING", "")
    return StreamRedirect(stream_url(request) + (f"?{query}" if query else ""))
