"""The compliance officer's round trip in a real browser, and the auditor's limits.

Headless Chromium against a real ``gateway serve`` process (tests/browser/conftest.py): sign
in, edit the policy to stop disclosing the buyer's country, watch the preview change, fix the
policy's own test, activate, run a sync, and find the submission in the ledger without the
country. Every page is saved as a screenshot under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PASSWORDS, Gateway

RULE = "redaction/export_record.rego"
TESTS = "redaction/export_record_test.rego"
COUNTRY_RULE = '\t"buyer.country": ["keep"],\n'


def shot(driver: WebDriver, path: Path) -> None:
    """A screenshot of the whole page (the window grows to the page's height, then shrinks)."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    full = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, min(max(full, height), 8000))
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(width, height)


def wait(driver: WebDriver, seconds: float = 20) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, seconds)


def sign_in(driver: WebDriver, gateway: Gateway, user: str, shots: Path | None = None) -> None:
    driver.get(gateway.base_url + "/ui/login")
    if shots is not None:
        shot(driver, shots / "01-sign-in.png")
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[user])
    driver.find_element(By.ID, "login-submit").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "signed-in-as")))
    assert user in driver.find_element(By.ID, "signed-in-as").text


def edit_module(driver: WebDriver, path: str, old: str, new: str) -> None:
    """Open ``path`` in the editor and replace ``old`` by ``new``, as typing would."""
    Select(driver.find_element(By.ID, "module-select")).select_by_value(path)
    editor = driver.find_element(By.ID, "rego-editor")
    wait(driver).until(lambda d: old in editor.get_attribute("value"))
    text = editor.get_attribute("value")
    assert text.count(old) == 1
    driver.execute_script(
        "const e = arguments[0]; e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true}));",
        editor, text.replace(old, new),
    )


def leaves(driver: WebDriver, field: str) -> list[str]:
    """What leaves for ``field`` in each previewed record (read in one step: the table is
    redrawn while the officer types)."""
    found: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'#preview-table tr.preview-row[data-field=\"' + arguments[0] + '\"] td.leaves'))"
        ".map(td => td.textContent.trim());",
        field,
    )
    return found


def history_rows(driver: WebDriver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, "#activation-history tbody tr[data-seq]"))


def test_compliance_officer_drops_buyer_country_and_the_ledger_shows_it(
    gateway_server: Gateway, browser: Any, shots: Path
) -> None:
    driver: WebDriver = browser
    sign_in(driver, gateway_server, "kim", shots)
    shot(driver, shots / "02-overview.png")

    driver.find_element(By.ID, "nav-policy").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "rego-editor")))
    before = leaves(driver, "buyer.country")
    assert before and all(v not in ("", "—") for v in before)  # the country leaves today
    shot(driver, shots / "03-policy-active.png")

    edit_module(driver, RULE, COUNTRY_RULE, "")
    wait(driver).until(lambda d: leaves(d, "buyer.country") and all(
        v == "—" for v in leaves(d, "buyer.country")))
    assert "buyer.country" in driver.find_element(By.ID, "diff").text
    shot(driver, shots / "04-policy-preview-no-country.png")
    driver.find_element(By.ID, "diff-section").screenshot(str(shots / "04b-policy-diff.png"))

    driver.find_element(By.ID, "run-tests").click()
    wait(driver).until(lambda d: "fail" in d.find_element(By.ID, "test-results").text.lower())
    shot(driver, shots / "05-policy-test-failing.png")
    edit_module(driver, TESTS, COUNTRY_RULE, "")
    driver.find_element(By.ID, "run-tests").click()
    wait(driver).until(lambda d: "all" in d.find_element(By.ID, "test-results").text.lower()
                       and "pass" in d.find_element(By.ID, "test-results").text.lower())

    history = history_rows(driver)
    driver.find_element(By.ID, "activation-reason").send_keys("The insurer does not need it")
    driver.find_element(By.ID, "activate").click()
    wait(driver).until(ec.visibility_of_element_located((By.ID, "activation-result")))
    shot(driver, shots / "06-policy-activated.png")
    assert history_rows(driver) == history + 1
    assert "kim" in driver.find_element(By.ID, "activation-history").text

    driver.find_element(By.ID, "nav-overview").click()
    wait(driver).until(ec.element_to_be_clickable((By.ID, "sync-now"))).click()
    wait(driver, 120).until(ec.presence_of_element_located((By.ID, "flash")))
    attached = driver.find_element(By.CSS_SELECTOR, '[data-count="attached"]').text
    assert attached.replace(",", "").strip() not in ("", "0")
    shot(driver, shots / "07-overview-after-sync.png")

    driver.find_element(By.ID, "nav-ledger").click()
    rows = wait(driver).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#ledger-table tr.ledger-row"))
    shot(driver, shots / "08-ledger.png")
    newest = rows[0].get_attribute("data-submission-id")
    rows[0].find_element(By.TAG_NAME, "a").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "submission-fields")))
    assert newest in driver.current_url
    fields = {th.get_attribute("data-field") for th in driver.find_elements(
        By.CSS_SELECTOR, "#submission-fields th[data-field]")}
    assert "buyer.country" not in fields and {"buyer.name", "amount"} <= fields
    assert driver.find_element(By.ID, "receipt").text.strip()
    shot(driver, shots / "09-submission.png")

    driver.find_element(By.ID, "nav-exposure").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "chart-country-exporter")))
    for chart in ("buyer-insurer", "buyer-exporter", "country-insurer", "country-exporter"):
        assert driver.find_element(By.ID, f"chart-{chart}").is_displayed()
    shot(driver, shots / "10-exposure.png")


def test_an_auditor_reads_the_policy_but_cannot_activate(
    gateway_server: Gateway, browser: Any, shots: Path
) -> None:
    driver: WebDriver = browser
    sign_in(driver, gateway_server, "lee")
    driver.find_element(By.ID, "nav-policy").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "rego-editor")))
    assert driver.find_elements(By.ID, "activate") == []
    assert driver.find_element(By.ID, "rego-editor").get_attribute("readonly") is not None
    history = history_rows(driver)
    shot(driver, shots / "11-policy-auditor.png")

    # The same request the officer's browser sends, with the auditor's own valid CSRF token.
    status = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const body = new URLSearchParams({csrf_token: token, reason: 'auditor tries',
                                          path: 'redaction/export_record.rego', text: 'x'});
        fetch('/ui/policy/activate', {method: 'POST', body: body,
              headers: {'X-CSRF-Token': token}}).then(r => done(r.status), () => done(0));
        """
    )
    assert status == 403
    driver.refresh()
    wait(driver).until(ec.presence_of_element_located((By.ID, "activation-history")))
    assert history_rows(driver) == history
    assert httpx.get(gateway_server.base_url + "/ui/policy").status_code in (303, 401)
