"""Pages of list endpoints: `limit` and `offset`, both bounded.

DRF's LimitOffsetPagination passes any non-negative integer through to SQL, and PostgreSQL
rejects a LIMIT or OFFSET past 2^63 - 1 ("bigint out of range"): a 500 for `?limit=1e20`. A
limit above MAX_LIMIT is served as MAX_LIMIT (DRF's documented cutoff), and an offset past every
possible row is an empty page, so no client value reaches the database unbounded.
"""

from rest_framework.pagination import LimitOffsetPagination

# Far beyond any table's row count here, and well inside PostgreSQL's bigint.
MAX_OFFSET = 2**40


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    default_limit = 200
    max_limit = 1000

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
