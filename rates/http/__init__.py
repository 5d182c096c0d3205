"""How answers travel: HTTP caching, replay in front of Django, throttling."""
