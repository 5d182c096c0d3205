"""A small Server-Sent Events client for the stream's tests: one HTTP/1.1 connection read line
by line, as an EventSource reads it."""

import http.client
import itertools
import json
import time
from dataclasses import dataclass, field

_addresses = itertools.count(1)


def new_address() -> str:
    """A client address of its own (sent as X-Forwarded-For; the test server trusts one proxy),
    so that tests do not share the anonymous throttle's window."""
    n = next(_addresses)
    return f"10.77.{n // 250}.{n % 250 + 1}"


@dataclass
class Message:
    event: str = "message"
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> dict:
        return json.loads(self.data)


class Stream:
    def __init__(self, base: str, path: str, headers: dict | None = None, timeout: float = 10):
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
        headers = {
            "Accept": "text/event-stream",
            "X-Forwarded-For": new_address(),
            **(headers or {}),
        }
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status

    def body(self) -> bytes:
        return self.response.read()

    def next(self, timeout: float = 10) -> Message | None:
        """The next event or comment-only block; None when the server ended the stream."""
        self.connection.sock.settimeout(timeout)
        message, seen = Message(), False
        while True:
            line = self.response.readline()
            if not line:
                return message if seen else None
            line = line.decode().rstrip("\n")
            if line == "":
                if seen:
                    return message
                continue
            seen = True
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comments.append(value)
            elif name == "data":
                message.data = f"{message.data}\n{value}" if message.data else value
            elif name in ("event", "id"):
                setattr(message, name, value)

    def next_event(self, timeout: float = 10) -> Message | None:
        """The next event (comments and `retry:` skipped); None when the stream ended."""
        while True:
            message = self.next(timeout)
            if message is None or message.data:
                return message

    def quiet_for(self, seconds: float) -> bool:
        """True when no event arrives within `seconds`. The stream's heartbeats (more frequent
        than `seconds` on the test server) end each read: a socket that timed out cannot be
        read again."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.next(seconds + 5)
            if message is None or message.data:
                return False
        return True

    def close(self) -> None:
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
