"""Pages of list endpoints: `limit` and `offset`, both bounded.

DRF's LimitOffsetPagination passes any non-negative integer through to SQL, and PostgreSQL
rejects a LIMIT or OFFSET past 2^63 - 1 ("bigint out of range"): a 500 for `?limit=1e20`. A
limit above MAX_LIMIT is served as MAX_LIMIT (DRF's documented cutoff), and an offset past every
possible row is an empty page, so no client value reaches the database unbounded. A value that
is no whole number (`limit=abc`, `limit=0`, `offset=-1`) is a 400 naming it: DRF would serve the
default page as if nothing had been asked.
"""

import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

WHOLE = re.compile(r"[0-9]{1,40}")

# Far beyond any table's row count here, and well inside PostgreSQL's bigint.
MAX_OFFSET = 2**40


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 200
    max_limit = 1000

    def get_limit(self, request) -> int:
        _check_whole(request, self.limit_query_param, least=1)
        return super().get_limit(request)

    def get_offset(self, request) -> int:
        _check_whole(request, self.offset_query_param, least=0)
        return min(super().get_offset(request), MAX_OFFSET)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        # The bounds enforced above, in the schema: clients (and schemathesis) know them.
        parameters = super().get_schema_operation_parameters(view)
        least = {self.limit_query_param: 1, self.offset_query_param: 0}
        for parameter in parameters:
            parameter["schema"]["minimum"] = least[parameter["name"]]
        return parameters


def _check_whole(request, name: str, *, least: int) -> None:
    given = request.query_params.get(name)
    if given is not None and not (WHOLE.fullmatch(given) and int(given) >= least):
        raise ValidationError({name: [f"Must be a whole number, {least} or more."]})
