"""The push stream: Server-Sent Events of landed rates and alert firings (docs/monitor.md)."""
