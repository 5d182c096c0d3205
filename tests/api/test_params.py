"""rates.api.params.parse: one prebuilt serializer per class gives what a fresh serializer's
is_valid gives — the same values, the same errors — from any number of threads."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from rates.api.params import ConvertParams, HistoryParams, RatesParams, parse

QUERIES = [
    (RatesParams, "base=usd&target=EUR"),
    (RatesParams, "base=USD&symbols=EUR,GBP,EUR&amount=12.50"),
    (RatesParams, "base=USD&at=2024-01-06"),
    (RatesParams, "base=US"),
    (RatesParams, "base=USD&symbol=EUR"),
    (RatesParams, "base=USD&symbols="),
    (RatesParams, "base=USD&target=USD"),
    (RatesParams, "base=USD&amount=-1"),
    (RatesParams, "base=USD&at=2024-01-06&source=ecb"),
    (RatesParams, ""),
    (ConvertParams, "from=EUR&to=USD&amount=10"),
    (ConvertParams, "from=EUR&to=EUR&amount=10"),
    (ConvertParams, "from=EUR&to=USD&amount=abc"),
    (HistoryParams, "base=EUR&target=USD&start=2024-01-01&end=2024-02-01&interval=week"),
    (HistoryParams, "base=EUR&target=USD&start=2024-02-01&end=2024-01-01"),
    (HistoryParams, "base=EUR&target=USD&interval=minute"),
]


def fresh(params_class, query: QueryDict):
    serializer = params_class(data=query)
    if serializer.is_valid():
        return "ok", dict(serializer.validated_data)
    return "error", serializer.errors


def prebuilt(params_class, query: QueryDict):
    try:
        return "ok", dict(parse(params_class, query))
    except ValidationError as exc:
        return "error", exc.detail


def comparable(outcome):
    kind, value = outcome
    if kind == "ok":
        # Moments compare by value; derived instants are recomputed from `now` for open ranges.
        return kind, {k: v for k, v in value.items() if not k.endswith("_instant")}
    return kind, {name: [str(e) for e in errors] for name, errors in value.items()}


@pytest.mark.parametrize(("params_class", "query"), QUERIES)
def test_parse_answers_as_a_fresh_serializer_does(params_class, query):
    given = QueryDict(query)

    assert comparable(prebuilt(params_class, given)) == comparable(fresh(params_class, given))


def test_an_error_names_its_parameter_with_drf_codes():
    with pytest.raises(ValidationError) as caught:
        parse(RatesParams, QueryDict("base=USD&amount=abc"))

    assert caught.value.get_codes() == {"amount": ["invalid"]}


def test_threads_parsing_at_once_each_get_their_own_answer():
    queries = [QueryDict(f"base=USD&target={code}") for code in ("EUR", "GBP", "JPY", "CHF") * 50]

    with ThreadPoolExecutor(max_workers=8) as pool:
        targets = list(pool.map(lambda q: parse(RatesParams, q)["target"], queries))

    assert targets == [q["target"] for q in queries]
