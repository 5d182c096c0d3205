"""Back office: currencies and sources are editable; rates, runs and the quarantine are
read-only (scrapers write them), held rates are approved or rejected, API keys issued. One
module per subject; importing them registers their ModelAdmins."""

from . import catalog, keys, observations, runs

__all__ = ["catalog", "keys", "observations", "runs"]
