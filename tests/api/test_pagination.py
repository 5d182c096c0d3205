import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from rates.api.pagination import MAX_OFFSET, BoundedLimitOffsetPagination

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("limit=18446744073709551616", 200),
        ("offset=18446744073709551616", 200),
        ("limit=5&offset=99999999999999999999999", 200),
    ],
)
def test_out_of_range_pages_are_answered_not_500(client, query, status):
    response = client.get(f"/api/v1/sources/?{query}")
    assert response.status_code == status
    assert "results" in response.json()


def test_limit_and_offset_are_bounded():
    request = Request(APIRequestFactory().get("/", {"limit": "100000", "offset": str(2**70)}))
    pagination = BoundedLimitOffsetPagination()
    assert pagination.get_limit(request) == pagination.max_limit
    assert pagination.get_offset(request) == MAX_OFFSET
