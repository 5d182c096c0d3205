"""Security headers, CSRF and the deploy checks (issue 13, 6b; docs/reliability.md).

Every page answers with a Content-Security-Policy whose scripts are Koel's own static files (the
docs pages' inline bootstrap carries a per-request nonce), X-Content-Type-Options and a
Referrer-Policy; HSTS is sent behind TLS only. /api/docs/ and /api/redoc/ load Swagger UI and
ReDoc from Koel's static files, not a CDN. Every form refuses a POST without its CSRF token.
`manage.py check --deploy` is clean under production settings. (The browser side — the admin and
the docs working under this policy in Chromium — is tests/pages/test_csp_browser.py.)
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]

PAGES = [
    "/",
    "/currencies/",
    "/rates/USD/",
    "/pair/EUR/USD/",
    "/accounts/login/",
    "/accounts/signup/",
    "/admin/login/",
    "/api/docs/",
    "/api/redoc/",
    "/nowhere/",  # a 404 page too
]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {name: values for name, *values in parts}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_policy_and_the_headers(client, currencies, path):
    response = client.get(path)

    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_compatible_apis_carry_the_policy_too(client, currencies):
    for path in ("/v1/currencies", "/v2/currencies", "/api/currencies.json", "/api/v1/"):
        response = client.get(path)
        assert directives(response)["default-src"] == ["'self'"], path


def test_inline_code_runs_only_with_the_requests_nonce(client):
    first, second = client.get("/api/docs/"), client.get("/api/docs/")

    nonces = [
        re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"]).group(1)
        for r in (first, second)
    ]
    assert nonces[0] != nonces[1]
    inline = re.findall(rb"<script( nonce=\"[^\"]*\")?>", first.content)
    assert inline == [f' nonce="{nonces[0]}"'.encode()]


def test_pages_without_inline_code_get_no_nonce(client, currencies):
    assert "nonce-" not in client.get("/currencies/")["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_load_nothing_from_another_origin(client, path):
    html = client.get(path).content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, html
    assert all(url.startswith("/static/drf_spectacular_sidecar/") for url in urls), urls
    assert "cdn." not in html
    assert "googleapis" not in html


def test_templates_and_static_files_hold_no_inline_code():
    # Inline <script>/<style> bodies and on* attributes need 'unsafe-inline': none are allowed
    # outside the docs pages' overrides, which carry the nonce.
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        nonced = "csp_nonce" in text
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) and not nonced:
            offenders.append(f"{path}: inline <script>")
        if re.search(r"<style\b", text) and not (nonced or path.name == "redoc.html"):
            offenders.append(f"{path}: <style>")
        if re.search(r"\son[a-z]+=\"", text) or re.search(r'\sstyle="', text):
            offenders.append(f"{path}: inline handler or style attribute")
    for path in sorted((ROOT / "static").rglob("*.js")):
        if "vendor" not in path.parts and re.search(r"\beval\(|new Function\(", path.read_text()):
            offenders.append(f"{path}: eval")
    assert offenders == []


def test_hsts_is_sent_behind_tls_only(client, settings, db):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # KOEL_TRUST_X_...
    settings.SECURE_HSTS_SECONDS = 31_536_000

    behind_tls = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    plain = client.get("/healthz")

    assert behind_tls["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in plain


# --- CSRF on every form ------------------------------------------------------------------------


@pytest.fixture
def strict_client(db):
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("boss", "boss@example.org", "s3cret-enough-pw")


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/admin/login/", "/accounts/logout/"]
)
def test_anonymous_forms_refuse_a_post_without_its_token(strict_client, path):
    response = strict_client.post(path, {"username": "boss", "password": "s3cret-enough-pw"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_change/",
        "/alerts/",
        "/alerts/1/",
        "/alerts/1/toggle/",
        "/alerts/1/delete/",
        "/admin/rates/currency/add/",
        "/admin/scrape/",
        "/admin/logout/",
    ],
)
def test_logged_in_forms_refuse_a_post_without_its_token(strict_client, staff, path):
    strict_client.force_login(staff)
    assert strict_client.post(path, {}).status_code == 403


def test_the_same_post_with_its_token_gets_through(strict_client, staff):
    page = strict_client.get("/accounts/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    response = strict_client.post(
        "/accounts/login/",
        {"username": "boss", "password": "s3cret-enough-pw", "csrfmiddlewaretoken": token.decode()},
    )
    assert response.status_code == 302


# --- manage.py check --deploy -------------------------------------------------------------------


def test_check_deploy_is_clean_under_production_settings():
    # The environment a deployment has: none of the test run's own switches.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "koel.example.org",
        "DJANGO_SETTINGS_MODULE": "koel.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
