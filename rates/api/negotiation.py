"""Content negotiation with a short way for the Accept headers nearly every client sends.

DRF parses and ranks the Accept header's media types on every request; for no header, `*/*` or
`application/json` the answer is known without it: the view's first renderer (for
`application/json`, when that renderer is JSON). Anything else is negotiated by DRF itself.
"""

from rest_framework.negotiation import DefaultContentNegotiation

ANY = {"", "*/*"}
JSON = "application/json"


class CommonAcceptNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "").strip()
        override = self.settings.URL_FORMAT_OVERRIDE
        if format_suffix is None and renderers and not (override and override in request.GET):
            first = renderers[0]
            if accept in ANY or (accept == JSON and first.media_type == JSON):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
