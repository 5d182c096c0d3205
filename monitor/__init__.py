"""Live monitoring: the live group's ticks, the push stream and analytics (docs/monitor.md)."""

from monitor.stream.address import stream_url

__all__ = ["stream_url"]
