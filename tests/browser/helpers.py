"""Helpers for tests that drive a real browser: screenshots, axe-core checks, focus checks."""

import functools
import time
from importlib import resources
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Locator, Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BLOCKING_IMPACTS = ("serious", "critical")


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as test-artifacts/screenshots/<name>.png, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@functools.cache
def _axe_script() -> str:
    # axe-core as shipped inside the axe-playwright-python wheel: no CDN at test time.
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def run_axe(page: Page, *, exclude: tuple[str, ...] = ()) -> list[dict]:
    """Run axe-core on the page as it is now and return every violation it found."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated, not added as an inline <script>: the site's Content-Security-Policy blocks those.
        page.evaluate(_axe_script())
    context = {"include": [["html"]], "exclude": [[selector] for selector in exclude]}
    results = page.evaluate(
        "([context, options]) => axe.run(context, options)",
        [context, {"resultTypes": ["violations"]}],
    )
    return results["violations"]


def check_accessibility(page: Page, *, exclude: tuple[str, ...] = ()) -> list[dict]:
    """Fail the test on any serious or critical axe-core violation, listing each one readably.

    `exclude` takes CSS selectors of parts that are not ours (a payment provider's widget).
    Returns the minor and moderate violations, for a test that wants to look at them.
    """
    violations = run_axe(page, exclude=exclude)
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(accessibility_report(page.url, blocking), pytrace=False)
    return violations


def accessibility_report(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  at {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = node.get("failureSummary", "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


FOCUS_STYLE = """element => {
    const style = getComputedStyle(element);
    return {
        outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
        boxShadow: style.boxShadow !== "none",
        looks: [style.color, style.backgroundColor, style.textDecorationLine, style.borderColor].join("|"),
    };
}"""


def has_visible_focus(locator: Locator) -> bool:
    """Whether the focused element shows it: an outline, a shadow, or a change in its colours."""
    focused = locator.evaluate(FOCUS_STYLE)
    if focused["outline"] or focused["boxShadow"]:
        return True
    locator.evaluate("element => element.blur()")
    unfocused = locator.evaluate(FOCUS_STYLE)
    locator.focus()
    return focused["looks"] != unfocused["looks"]


def log_in_to_the_admin(page: Page, username: str, password: str) -> None:
    """The site's login as a board member, then the code from their authenticator app."""
    import re

    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    from tests.factories import give_two_factor
    from tests.factories.capital import authenticator_code

    give_two_factor(get_user_model().objects.get(username=username))
    page.context.clear_cookies()  # whoever was logged in on this page (an investor) logs out first
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/account/login/\?next=/admin/"))
    page.get_by_label("Email address").fill(username)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/"))
    page.locator('input[name="code"]').fill(authenticator_code())
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def sent_mail(matches, *, expected: int = 1, timeout: float = 20.0) -> list:
    """The emails `matches(message)` picks out, once `expected` of them have arrived (or the
    timeout has passed: then whatever has). The live server sends them from its own thread, and
    on a busy machine its last email can land a moment after the page has moved on."""
    deadline = time.monotonic() + timeout
    while True:
        found = [message for message in mail.outbox if matches(message)]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
