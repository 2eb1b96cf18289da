"""Helpers for the browser tests (the `browser` fixture is tests/e2e/conftest.py's)."""

import re
from collections.abc import Callable
from typing import Any

from tests.accounts.factories import DEFAULT_PASSWORD


def log_in(browser: Any, base: str, user: Any, url: str, *, before: Callable[[Any], None] | None = None,
           **viewport: int) -> tuple[Any, Any]:
    """A new browser context signed in as `user` (the factories' password), on `url`; `before`
    gets the page first (to watch or route its websockets before any opens)."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    if before is not None:
        before(page)
    page.goto(f"{base}/accounts/login/?next={url}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator(
        "button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(url) + "$"))
    return context, page
