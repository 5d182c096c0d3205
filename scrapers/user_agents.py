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
    # A few records carry stray quotes; a real browser's header always starts "Mozilla/5.0 (".
    agents = (r["useragent"].strip().strip('"') for r in desktop)
    # iPads in desktop mode are filed as desktop but still say "Mobile"; sites may serve them
    # the mobile page, so they are left out.
    desktop_only = (a for a in agents if a.startswith("Mozilla/5.0 (") and "Mobile" not in a)
    return tuple(dict.fromkeys(desktop_only))
