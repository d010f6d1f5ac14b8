"""The console in headless Chromium against a real ``bastion serve`` fed by the simulator."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Console

pytestmark = pytest.mark.integration

READY = {
    "overview": '.stats[data-live-seq]:not([data-live-seq=""])',
    "decisions": "table.results",
    "events": ".cards .card",
    "creators": "table.table",
    "evaluations": "text=regression",
    "governance": "svg[role=group] .node",
    "redteam": "text=No red-team results source is configured",
    "policies": ".policy-version",
}


def fresh_requests(console: Console, n: int, prefix: str) -> list[bytes]:
    """*n* more simulator requests, renamed so that the test can recognise them."""
    start = console.sent % len(console.feed.bodies)
    bodies = console.feed.bodies[start : start + n]
    console.sent += n
    return [
        body.replace(b'"request_id":"req-', f'"request_id":"{prefix}-'.encode(), 1)
        for body in bodies
    ]


def test_every_page_loads_without_console_errors(open_tab: Any, artifacts: Path) -> None:
    tab = open_tab("oncall")
    page = tab.page
    page.locator("nav a").last.wait_for()  # the console draws its menu after the key is checked
    nav = [link.inner_text() for link in page.locator("nav a").all()]
    assert nav == [
        "Overview",
        "Decisions",
        "Events",
        "Creators",
        "Evaluations",
        "Governance",
        "Red team",
        "Policies",
    ]
    for name, ready in READY.items():
        page.goto(page.url.split("#")[0] + f"#/{name}")
        page.wait_for_selector(ready)
        page.wait_for_selector(".loading", state="detached")
        assert (
            page.locator("main h1").inner_text()
            == page.locator("nav a[aria-current=page]").inner_text()
        )
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    assert tab.errors == []


def test_a_live_update_arrives(open_tab: Any, console: Console) -> None:
    tab = open_tab("operator", "overview")
    page = tab.page
    stats = page.wait_for_selector(READY["overview"])
    before = int(stats.get_attribute("data-live-seq") or 0)
    console.served.guard(fresh_requests(console, 80, "live"), console.keys["ranker"])
    page.wait_for_selector("table >> text=/^live-/")
    after = int(page.locator(".stats").get_attribute("data-live-seq") or 0)
    assert after > before
    assert page.locator(".live-status").inner_text().startswith("live")
    assert tab.errors == []


def test_clicking_a_blocked_item_shows_its_rules(open_tab: Any, console: Console) -> None:
    tab = open_tab("oncall", "overview")
    page = tab.page
    console.served.guard(fresh_requests(console, 40, "click"), console.keys["ranker"])
    link = page.wait_for_selector("a.blocked-item")
    row = page.locator("tr", has=page.locator("a.blocked-item")).first
    rules = row.locator("td").nth(3).inner_text().split(", ")
    item = link.inner_text()
    link.click()
    page.wait_for_selector(".trace-item .rule-id")
    assert page.locator("#trace").inner_text().startswith("Trace of ")
    shown = page.locator(".trace-item .rule-id").all_inner_texts()
    assert shown and set(rules) <= set(shown)
    assert item in page.locator(".trace-item h3").first.inner_text()
    assert "block" in page.locator(".trace-item h3 .badge").first.inner_text()
    assert "bastion trace why" in page.locator(".trace details summary").inner_text()
    assert tab.errors == []


def test_an_operator_reload_changes_the_version_shown(open_tab: Any, console: Console) -> None:
    tab = open_tab("operator", "policies")
    page = tab.page
    before = page.wait_for_selector(".policy-version").inner_text()
    text = console.policy.read_text()
    assert "item.spam >= 0.95" in text
    console.policy.write_text(text.replace("item.spam >= 0.95", "item.spam >= 0.97"))
    page.get_by_role("button", name="Reload policy").click()
    page.wait_for_selector(f".policy-version:not(:text-is('{before}'))")
    after = page.locator(".policy-version").inner_text()
    assert re.fullmatch("[0-9a-f]{12}", after) and after != before
    assert f"replaced {before}" in page.locator(".notice").inner_text()
    page.wait_for_selector(f".live-policy-version:text-is('{after}')")
    assert tab.errors == []


def test_an_auditor_cannot_reload(open_tab: Any, console: Console) -> None:
    tab = open_tab("auditor", "policies")
    page = tab.page
    page.wait_for_selector(".policy-version")
    assert page.get_by_role("button", name="Reload policy").count() == 0
    assert "needs a key with the operator role" in page.locator(".policies").inner_text()
    status = page.evaluate(
        """async (key) => (await fetch('/v1/policy/reload', {method: 'POST',
            headers: {'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json'},
            body: '{}'})).status""",
        console.keys["auditor"],
    )
    assert status == 403


def test_sign_in_keyboard_navigation_and_keys_without_pages(
    open_tab: Any, console: Console
) -> None:
    tab = open_tab(None)
    page = tab.page
    page.get_by_label("API key").fill("bst_not-a-key")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=unknown API key")
    page.get_by_label("API key").fill(console.keys["operator"])
    page.keyboard.press("Enter")
    page.wait_for_selector("nav")
    assert "Decisions" not in page.locator("nav").inner_text(), "operators do not read the log"
    page.locator("nav a", has_text="Overview").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("main h1:text-is('Events')")
    ranker = open_tab("ranker").page
    ranker.wait_for_selector("text=This key opens no page")
