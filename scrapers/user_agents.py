"""Desktop browsers' User-Agent strings from fake-useragent's bundled, maintained data file."""

import json
from functools import cache
from importlib.resources import files

DESKTOP_BROWSERS = {"Chrome", "Firefox", "Safari", "Edge"}


@cache
def desktop_user_agents() -> tuple[str, ...]:
    """Current desktop UAs, most common first (the file records each one's share of traffic)."""
    text = files("fake_useragent").joinpath("data/browsers.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    desktop = [
        r for r in records if r.get("type") == "desktop" and r.get("browser") in DESKTOP_BROWSERS
    ]
    desktop.sort(key=lambda r: r.get("percent", 0), reverse=True)
    return tuple(dict.fromkeys(r["useragent"] for r in desktop))
