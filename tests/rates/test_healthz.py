def test_healthz_reports_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_plain_http_when_https_is_enforced(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200  # probes stay on plain HTTP
    redirected = client.get("/")
    assert (redirected.status_code, redirected["Location"]) == (301, "https://testserver/")
