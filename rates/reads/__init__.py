"""The one way out: latest, at an instant, for a base, history, conversion."""
