"""rates.api.negotiation: the common Accept headers get JSON without DRF's parsing; any other
header is still negotiated by DRF (a 406 where no renderer fits)."""

import pytest
from django.urls import reverse

CURRENCIES = reverse("api:currency-list")


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "  application/json "])
def test_common_accept_headers_get_json(client, currencies, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = client.get(CURRENCIES, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_other_accept_headers_are_negotiated_by_drf(client, currencies):
    assert client.get(CURRENCIES, HTTP_ACCEPT="application/json; q=0.9, */*").status_code == 200
    refused = client.get(CURRENCIES, HTTP_ACCEPT="text/csv")
    assert refused.status_code == 406
    assert refused["Content-Type"] == "application/json"
