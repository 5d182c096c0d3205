"""The Content-Security-Policy in a real browser (Chromium): every page, the admin and the API
docs work under it, and the browser reports no violation (issue 13, 6b; koel/settings.py's
CONTENT_SECURITY_POLICY). The headers themselves: tests/reliability/test_hostile_headers.py."""

import pytest
from playwright.sync_api import expect

PASSWORD = "a-long-test-password-1"  # noqa: S105

# Collected in the page before any of its scripts run: a violation report per refused resource.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`);
});
"""


@pytest.fixture
def guarded(page):
    """The page, with CSP violations and refused loads collected (console and events)."""
    refused: list[str] = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )

    def violations() -> list[str]:
        return refused + page.evaluate("window.__violations || []")

    page.violations = violations
    return page


def requests_elsewhere(page, live_server) -> list[str]:
    """The URLs the page asks another origin for, as they happen (blob: and data: are local)."""
    outside: list[str] = []
    local = (live_server.url, "blob:", "data:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    return outside


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user(
        "operator", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.mark.parametrize(
    "path", ["/", "/currencies/", "/rates/USD/", "/pair/USD/EUR/", "/accounts/login/"]
)
def test_the_pages_run_under_the_policy(guarded, live_server, rates_for_browsing, path):
    guarded.goto(f"{live_server.url}{path}")
    guarded.wait_for_load_state("networkidle")

    expect(guarded.locator("main")).to_be_visible()
    assert guarded.violations() == []


def test_the_pair_chart_draws_under_the_policy(guarded, live_server, rates_for_browsing):
    guarded.goto(f"{live_server.url}/pair/USD/EUR/")

    expect(guarded.locator(".uplot canvas").first).to_be_visible()
    assert guarded.violations() == []


def test_swagger_ui_renders_from_local_files(guarded, live_server):
    outside = requests_elsewhere(guarded, live_server)
    guarded.goto(f"{live_server.url}/api/docs/")

    expect(guarded.locator(".swagger-ui .info .title")).to_contain_text("Koel exchange-rate API")
    expect(guarded.locator(".opblock").first).to_be_visible()
    assert outside == []
    assert guarded.violations() == []


def test_redoc_renders_from_local_files(guarded, live_server):
    outside = requests_elsewhere(guarded, live_server)
    guarded.goto(f"{live_server.url}/api/redoc/")

    expect(guarded.get_by_role("heading", name="Koel exchange-rate API").first).to_be_visible(
        timeout=15_000
    )
    # ReDoc's footer links Redocly's logo from Redocly's CDN: the policy refuses it (Chromium may
    # still report the request it refused, depending on timing), which is the point; nothing
    # else may go elsewhere or be refused.
    logo = "cdn.redoc.ly/redoc/logo"
    assert [url for url in outside if logo not in url] == []
    refused = [line for line in guarded.violations() if logo not in line]
    assert refused == []


def test_the_admin_works_under_the_policy(guarded, live_server, operator, currencies):
    guarded.goto(f"{live_server.url}/admin/login/")
    guarded.get_by_label("Username").fill("operator")
    guarded.get_by_label("Password").fill(PASSWORD)
    guarded.get_by_role("button", name="Log in").click()
    expect(guarded.get_by_role("button", name="Log out")).to_be_visible()

    for path in ("/admin/", "/admin/rates/currency/", "/admin/rates/currency/add/"):
        guarded.goto(f"{live_server.url}{path}")
        guarded.wait_for_load_state("networkidle")
    # The changelist's filters and the form's widgets are the admin's own scripts.
    guarded.goto(f"{live_server.url}/admin/rates/currency/")
    expect(guarded.locator("#result_list")).to_be_visible()
    assert guarded.violations() == []
