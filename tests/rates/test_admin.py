from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from rates.models import ApiKey, Currency, LatestRates, Source


@pytest.fixture
def recent(store):
    """Two rates from yesterday (inside the admin's default 7-day window) and one from 2024."""
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    store(
        "ecb",
        ("EUR", "USD", "1.0842", yesterday.isoformat()),
        ("EUR", "JPY", "160.31", yesterday.isoformat()),
        ("EUR", "GBP", "0.8577", "2024-01-02T16:00"),
    )


def changelist(client, model: str, **params):
    return client.get(reverse(f"admin:rates_{model}_changelist"), params)


def test_currency_changelist_lists_currencies(admin_client, currencies):
    response = changelist(admin_client, "currency", q="Yen")

    assert response.status_code == 200
    assert [c.code for c in response.context["cl"].result_list] == ["JPY"]
    assert "Japanese Yen" in response.text


def test_source_changelist_lists_sources(admin_client, sources):
    response = changelist(admin_client, "source")

    assert response.status_code == 200
    listed = [s.code for s in response.context["cl"].result_list]
    by_priority = sorted(Source.objects.all(), key=lambda s: (s.priority, s.code))
    assert listed == [s.code for s in by_priority]
    assert {"ecb", "alpha", "beta"} <= set(listed)


def test_exchange_rate_changelist_shows_last_seven_days_by_default(admin_client, recent):
    response = changelist(admin_client, "exchangeraterecord")

    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert sorted((r.target_id, str(r.rate)) for r in rows) == [
        ("JPY", "160.31"),
        ("USD", "1.0842"),
    ]
    assert "1.0842" in response.text


def test_exchange_rate_changelist_filters_by_month(admin_client, recent):
    response = changelist(admin_client, "exchangeraterecord", observed="2024-01")

    assert [(r.target_id, str(r.rate)) for r in response.context["cl"].result_list] == [
        ("GBP", "0.8577")
    ]


def test_exchange_rate_changelist_searches_by_code(admin_client, recent):
    response = changelist(admin_client, "exchangeraterecord", q="JPY")

    assert [r.target_id for r in response.context["cl"].result_list] == ["JPY"]


def test_exchange_rate_list_is_read_only(admin_client, recent):
    response = changelist(admin_client, "exchangeraterecord")

    assert response.context["has_add_permission"] is False
    assert reverse("admin:rates_exchangeraterecord_add") not in response.text
    assert admin_client.get(reverse("admin:rates_exchangeraterecord_add")).status_code == 403
    assert admin_client.post(reverse("admin:rates_exchangeraterecord_add")).status_code == 403


def test_latest_rates_changelist_lists_one_row_per_base_and_source(admin_client, recent):
    response = changelist(admin_client, "latestrates")

    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    assert (row.base_id, row.source_id, sorted(row.quote_map)) == (
        "EUR",
        "ecb",
        ["GBP", "JPY", "USD"],
    )
    assert admin_client.get(reverse("admin:rates_latestrates_add")).status_code == 403


def test_latest_rates_detail_shows_each_quote(admin_client, recent):
    [row] = LatestRates.objects.all()

    response = admin_client.get(reverse("admin:rates_latestrates_change", args=[row.pk]))

    assert response.status_code == 200
    assert "<td>JPY</td><td>160.31</td>" in response.text
    assert "<td>GBP</td><td>0.8577</td><td>2024-01-02T16:00:00+00:00</td>" in response.text


def test_currency_change_form_marks_row_admin_edited(admin_client, currencies):
    url = reverse("admin:rates_currency_change", args=["CAD"])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(name="Loonie", active="on")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    cad = Currency.objects.get(code="CAD")
    assert (cad.name, cad.admin_edited) == ("Loonie", True)


def test_currency_list_edit_marks_row_admin_edited(admin_client, currencies):
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "_save": "Save",
        "form-0-code": "NOK",
        "form-0-group": "secondary",  # changed from primary
        "form-0-active": "on",
        "form-1-code": "SEK",
        "form-1-group": "primary",  # unchanged
        "form-1-active": "on",
    }
    response = admin_client.post(
        reverse("admin:rates_currency_changelist") + "?code__in=NOK,SEK", data
    )

    assert response.status_code == 302
    edited = dict(
        Currency.objects.filter(code__in=["NOK", "SEK"]).values_list("code", "admin_edited")
    )
    assert edited == {"NOK": True, "SEK": False}
    assert Currency.objects.get(code="NOK").group == "secondary"


def test_source_change_form_saves_priority(admin_client, sources):
    url = reverse("admin:rates_source_change", args=["alpha"])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(priority=5, enabled="on", currencies="[]")

    assert admin_client.post(url, data).status_code == 302
    assert Source.objects.get(code="alpha").priority == 5


def test_exchange_rate_detail_url_does_not_crash(admin_client, store):
    store(
        "ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"), ("EUR", "JPY", "160", "2024-01-02T16:00")
    )
    url = reverse("admin:rates_exchangeraterecord_change", args=["2024-01-02 16:00:00+00:00"])

    # No single row stands behind an instant: the admin says "does not exist" and redirects.
    assert admin_client.get(url).status_code in (302, 403, 404)


def test_api_key_added_in_the_admin_is_shown_once_and_stored_hashed(admin_client, db):
    response = admin_client.post(
        reverse("admin:rates_apikey_add"), {"name": "partner"}, follow=True
    )

    assert response.status_code == 200
    [shown] = [str(m) for m in response.context["messages"] if "API key for" in str(m)]
    raw = shown.removeprefix("API key for partner: ").split(" — ")[0]
    key = ApiKey.objects.get()
    assert (key.name, key.prefix) == ("partner", raw[: ApiKey.PREFIX_LENGTH])
    assert raw not in key.hashed_key
    assert ApiKey.find(raw) == key


def test_api_key_revoke_action_refuses_the_key_from_then_on(admin_client, db):
    key, raw = ApiKey.issue("partner")

    admin_client.post(
        reverse("admin:rates_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )

    assert ApiKey.find(raw) is None
