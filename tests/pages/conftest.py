"""Browser tests: Playwright drives Debian's `chromium` package (never a browser Playwright
downloads) against pytest-django's live server, with data written through the services.

`make test` installs the package when it can (koel/stack.py, `chromium_ensure`); where Chromium
cannot be had, the browser tests skip with the reason. A failing browser test leaves a
screenshot and the page's console log under var/test-artifacts/.
"""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("KOEL_CHROMIUM", "/usr/bin/chromium"))
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    # Playwright's sync API keeps an asyncio loop in the test's thread; Django then refuses ORM
    # calls there (SynchronousOnlyOperation) although they run synchronously, between page calls.
    # Allowed around these tests only (setup to teardown, database flush included): elsewhere
    # the check still catches ORM calls from a running loop (the scrapers' pipelines).
    saved = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    yield
    if saved is None:
        os.environ.pop(ASYNC_UNSAFE, None)
    else:
        os.environ[ASYNC_UNSAFE] = saved


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        reason = os.environ.get("KOEL_CHROMIUM_MISSING") or (
            f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install -y chromium)"
        )
        pytest.skip(reason)
    # Root (a container, CI) cannot use Chromium's user-namespace sandbox.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": args}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the test item, for the fixtures' teardown to see a failure.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def failed(request) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is None or report.failed


def watch(page, request):
    """Collect the page's console; returns a function that saves it (and a screenshot) when
    the test failed."""
    lines: list[str] = []
    page.on("console", lambda m: lines.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: lines.append(f"pageerror: {e}"))

    def save():
        if not failed(request):
            return
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        page.screenshot(path=ARTIFACTS / f"{stem}.png", full_page=True)
        (ARTIFACTS / f"{stem}.console.log").write_text("\n".join(lines) + "\n")

    return save


@pytest.fixture
def page(page, request):
    """Playwright's page, whose console and screenshot are kept when the test fails."""
    save = watch(page, request)
    yield page
    save()


@pytest.fixture
def page_without_js(browser, request):
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    save = watch(plain, request)
    yield plain
    save()
    context.close()


@pytest.fixture
def rates_for_browsing(store):
    """A week of USD→EUR (Mon 2024-01-01 … Fri 2024-01-05, none at the weekend), JPY and GBP."""
    store(
        "ecb",
        *[("USD", "EUR", rate, f"2024-01-0{day}T16:00") for day, rate in enumerate(
            ["0.90", "0.91", "0.915", "0.918", "0.92"], start=1
        )],
        ("USD", "JPY", "151.2345", "2024-01-05T16:00"),
        ("EUR", "GBP", "0.86", "2024-01-05T16:00"),
    )  # fmt: skip
