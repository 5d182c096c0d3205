"""SIGTERM ends every open stream cleanly (the chunked body is terminated, a last comment says
why), so the server stops at once rather than waiting on streams that would never end, and
EventSource clients reconnect (to another instance) with their Last-Event-ID."""

import os
import signal

from tests.monitor.conftest import server_env, start_server, stop_server
from tests.monitor.sse import Stream


def test_sigterm_ends_every_stream_and_the_server(committed_catalog):
    process, base = start_server(server_env())
    try:
        streams = [Stream(base, "/api/v1/stream/?pairs=EUR/USD,USD/JPY") for _ in range(3)]
        assert [stream.status for stream in streams] == [200, 200, 200]
        for stream in streams:
            stream.next(timeout=5)  # `retry:`: the stream is open

        os.killpg(process.pid, signal.SIGTERM)

        endings = []
        for stream in streams:
            messages = []
            while (message := stream.next(timeout=10)) is not None:
                messages.append(message)
            endings.append(messages[-1].comments)
        assert process.wait(10) == 0  # without the streams ended, it would wait for ever
        assert endings == [["server shutting down"]] * 3
    finally:
        stop_server(process)
