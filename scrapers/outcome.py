"""What one crawl did, as the crawl process reports it to the manager.

The storage pipeline fills the counts of what it handed to rates_accept, the crawl command adds
what Scrapy saw (errors, finish reason, requests) and writes it as JSON (`crawl --report FILE`),
and the manager, in another process, reads it back: one type at both ends, no loose keys.

    {"source": "ecb", "received": 31, "rejected": 1, "written": 30, "quarantined": 0,
     "bases": {"EUR": ["AUD", "BGN", …]}, "errors": 0, "error": "", "finish_reason": "finished",
     "requests": 2, "seconds": 1.204}
"""

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Self

from .limits import REFUSED_KEY

STATS_KEY = "koel/outcome"  # where the pipeline leaves its CrawlOutcome in the crawl's stats


@dataclass(frozen=True)
class CrawlOutcome:
    source: str
    received: int = 0  # rows the spider scraped and the pipeline handed over
    rejected: int = 0  # of those, invalid rows left out (unknown currency, bad rate…)
    written: int = 0  # rows inserted or changed
    quarantined: int = 0
    bases: dict[str, list[str]] = field(default_factory=dict)  # base -> targets published
    errors: int = 0  # ERROR records the crawl logged
    error: str = ""  # why it failed, when that is known as one line
    finish_reason: str = ""
    requests: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Some valid rate was read and nothing went wrong."""
        return self.received > self.rejected and not self.errors and not self.error

    def finished(self, stats: dict, seconds: float) -> Self:
        """This outcome with what the crawl's stats say once the spider has closed."""
        return replace(
            self,
            error=self.error or stats.get(REFUSED_KEY, "") or self._why_nothing(stats),
            errors=stats.get("log_count/ERROR", 0),
            finish_reason=stats.get("finish_reason", "?"),
            requests=stats.get("downloader/request_count", 0),
            seconds=round(seconds, 3),
        )

    def _why_nothing(self, stats: dict) -> str:
        """Why a crawl that logged no error read no rate (else its attempt fails saying nothing):
        Scrapy drops 404s and other non-2xx answers, and robots.txt refusals, without an error."""
        if self.received or stats.get("log_count/ERROR"):
            return ""
        prefix = "httperror/response_ignored_status_count/"
        ignored = {key[len(prefix) :]: n for key, n in stats.items() if key.startswith(prefix)}
        if ignored:
            statuses = ", ".join(f"HTTP {code} ×{n}" for code, n in sorted(ignored.items()))
            return f"no rate read: the site answered {statuses}"
        if forbidden := stats.get("robotstxt/forbidden"):
            return f"no rate read: robots.txt disallows the {forbidden} page(s) asked"
        pages = stats.get("response_received_count", 0)
        return f"no rate read: {pages} page(s) fetched, none quoting a rate asked"

    def summary(self) -> str:
        rejected = f", {self.rejected} rejected" if self.rejected else ""
        return (
            f"{self.source}: {self.received} rates read{rejected}, {self.written} new or changed, "
            f"{self.quarantined} quarantined, finish: {self.finish_reason}"
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Self:
        return cls(**json.loads(text))
