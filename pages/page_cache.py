"""Pages rendered once per write: the HTML of a rates page is cached like an API answer
(rates.http.caching: keyed on the path, the query and the versions of the bases it read, so a
write of new rates is never hidden), for a minute at most since it says how old rates are, and
replayed in front of Django (rates.http.replay) until then."""

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from rates.http.caching import Answer, cached_answer

# Latest rates change a few times a day; a minute of caching costs a reader nothing.
PAGE_MAX_AGE = 60
HTML = "text/html; charset=utf-8"


def cached_page(
    request: HttpRequest,
    render: Callable[[], bytes],
    *,
    depends_on: Iterable[str],
    locale: str,
) -> HttpResponse:
    """`render()`'s page, from the cache when an equal request was rendered since the last
    write to `depends_on`; Cache-Control and Vary as every page sets them."""

    def build() -> Answer:
        return Answer(200, render(), content_type=HTML, max_seconds=PAGE_MAX_AGE)

    # Replayed before Django like the API's answers (rates.http.replay keys its entries on
    # Accept-Language too, which the page's Vary names; a session cookie is never replayed).
    response = cached_answer(request, build, depends_on=depends_on, vary=(locale,))
    patch_cache_control(response, public=True, max_age=PAGE_MAX_AGE)
    patch_vary_headers(response, ["Accept-Language"])
    return response
