"""Attacks on the dashboard's read pages, one test each.

The service with its dashboard runs as ``gateway serve`` builds it, on loopback, after one real
sync to the reference insurer (tests/unit/dashboard/served.py). The export holds a buyer whose
name is an HTML injection.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import httpx
import pytest

from gateway.dashboard.render import DASHBOARD_CSP
from tests.unit.dashboard.served import (
    HOSTILE_BUYER,
    Dashboard,
    parse,
    post_form,
    served_dashboard,
    sync,
)

PAGES = ("/ui/", "/ui/ledger", "/ui/exposure", "/ui/ledger/sub_" + "0" * 32)
EXTERNAL = re.compile(r"""(?:https?:|ftp:|wss?:)?//[A-Za-z0-9.-]+|@import|url\(\s*['"]?(?!#)""")


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    with served_dashboard(tmp_path_factory.mktemp("attacks")) as running:
        with running.sign_in("admin") as admin:
            sync(admin)
        yield running


@pytest.fixture
def officer(dash: Dashboard) -> Iterator[httpx.Client]:
    with dash.sign_in("officer") as client:
        yield client


def some_submission(dash: Dashboard) -> str:
    return dash.store.list_submissions()[0].submission_id


def test_no_page_is_served_without_a_session(dash: Dashboard) -> None:
    with dash.anonymous() as client:
        for path in (*PAGES, f"/ui/ledger/{some_submission(dash)}"):
            browser = client.get(path, headers={"Accept": "text/html"})
            assert browser.status_code == 303, path
            assert browser.headers["location"].startswith("/ui/login?next=")
            script = client.get(path)
            assert script.status_code == 401 and "ledger-row" not in script.text
        for path in ("/ui/sync", "/ui/ledger"):
            refused = client.post(path, data={"buyer": "Acme Trading Co."},
                                  headers={"Origin": dash.url})
            assert refused.status_code == 401, path
    assert len(dash.store.list_runs()) == 1


def test_a_forged_session_cookie_gets_nothing(dash: Dashboard) -> None:
    with dash.anonymous() as client:
        client.cookies.set("ecg_session", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
                           path="/ui")
        assert client.get("/ui/ledger").status_code == 401


def test_a_hostile_buyer_name_typed_into_the_search_is_escaped(
    dash: Dashboard, officer: httpx.Client
) -> None:
    answer = post_form(officer, "/ui/ledger", {"buyer": HOSTILE_BUYER,
                                               "invoice": "<img src=x onerror=alert(1)>"})
    assert answer.status_code == 200
    assert "<script>" not in answer.text and "<img src=x" not in answer.text
    page = parse(answer.text)
    assert page.one("input", id="search-buyer").attrs["value"] == HOSTILE_BUYER
    assert [s.attrs.get("src") for s in page.all("script")] == []


def test_a_hostile_buyer_name_in_the_data_never_reaches_a_page(
    dash: Dashboard, officer: httpx.Client
) -> None:
    token = dash.buyer_token(HOSTILE_BUYER)
    sids = [s.submission_id for s in dash.store.list_submissions()]
    pages = [*PAGES[:3], "/ui/exposure?currency=GBP", *(f"/ui/ledger/{s}" for s in sids)]
    seen_token = False
    for path in pages:
        html = officer.get(path).text
        assert "pwned" not in html and "Söhne" not in html, path
        seen_token = seen_token or token in html
    assert seen_token  # the buyer is there, as its pseudonym


def test_no_template_or_static_asset_refers_to_another_origin() -> None:
    package = resources.files("gateway.dashboard")
    checked = 0
    for folder in ("templates", "static"):
        for item in package.joinpath(folder).iterdir():
            if item.name.endswith((".html", ".css", ".js", ".svg")):
                text = item.read_text(encoding="utf-8")
                assert not EXTERNAL.search(text), f"{folder}/{item.name}"
                checked += 1
    assert checked >= 7


def test_served_pages_load_only_their_own_resources(
    dash: Dashboard, officer: httpx.Client
) -> None:
    for path in (*PAGES[:3], f"/ui/ledger/{some_submission(dash)}"):
        page = parse(officer.get(path).text)
        for node in page.all():
            for name in ("src", "href", "action", "formaction", "srcset"):
                value = node.attrs.get(name)
                if value is not None and node.tag != "svg":
                    assert value.startswith(("/ui", "?", "#")), (path, node.tag, value)
            assert not any(name.startswith("on") for name in node.attrs), (path, node.tag)
            assert "style" not in node.attrs, (path, node.tag)
        assert all(not s.text().strip() for s in page.all("script")), path
        assert page.all("style") == [], path


def test_every_page_carries_the_strict_content_security_policy(
    dash: Dashboard, officer: httpx.Client
) -> None:
    for path in PAGES:
        answer = officer.get(path)
        assert answer.headers["content-security-policy"] == DASHBOARD_CSP, path
    with dash.anonymous() as client:
        login = client.get("/ui/login")
        assert login.status_code == 200
        assert login.headers["content-security-policy"] == DASHBOARD_CSP
    directives = dict(d.strip().split(" ", 1) for d in DASHBOARD_CSP.split(";"))
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    for name in ("script-src", "style-src", "img-src", "connect-src", "form-action"):
        assert directives[name] == "'self'", name


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=-1", "page=abc", "page=1e3", "page=10000000000000", "size=0",
     "size=101", "size=1000000", "date_from=2026-13-01", "policy_version=xyz",
     "buyer_token=%3Cscript%3E", "date_from=2026-05-02&date_to=2026-05-01"],
)
def test_ledger_paging_and_filters_are_bounded(officer: httpx.Client, query: str) -> None:
    answer = officer.get(f"/ui/ledger?{query}")
    assert answer.status_code == 400, answer.text
    assert "<script>" not in answer.text
    assert parse(answer.text).one(id="search-error").text()


def test_a_page_past_the_end_shows_the_last_page(dash: Dashboard, officer: httpx.Client) -> None:
    total = len(dash.store.list_submissions())
    page = parse(officer.get("/ui/ledger?size=1&page=999999").text)
    rows = page.all("tr", class_="ledger-row")
    assert len(rows) == 1
    assert rows[0].attrs["data-submission-id"] == dash.store.list_submissions()[-1].submission_id
    assert f"{total} of {total}" in page.one("table", id="ledger-table").one("caption").text()


def test_the_typed_buyer_name_is_neither_logged_nor_put_in_a_url(
    dash: Dashboard, officer: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Acme Trading Co."
    with caplog.at_level(logging.DEBUG):
        answer = post_form(officer, "/ui/ledger", {"buyer": secret, "size": "1"})
    assert answer.status_code == 200 and answer.history == []
    assert "Acme" not in caplog.text
    page = parse(answer.text)
    for link in page.all("a"):
        assert "Acme" not in link.attrs.get("href", "")
    assert page.one("form", id="ledger-search").attrs["method"] == "post"


def test_sync_and_search_refuse_requests_from_other_origins_or_without_the_token(
    dash: Dashboard, officer: httpx.Client
) -> None:
    runs = len(dash.store.list_runs())
    for path in ("/ui/sync", "/ui/ledger"):
        missing = officer.post(path, data={}, headers={"Origin": dash.url})
        wrong = officer.post(path, data={"csrf_token": "x" * 43}, headers={"Origin": dash.url})
        page = parse(officer.get("/ui/").text)
        token = page.all("input", name="csrf_token")[0].attrs["value"]
        foreign = officer.post(path, data={"csrf_token": token},
                               headers={"Origin": "https://evil.example"})
        assert (missing.status_code, wrong.status_code, foreign.status_code) == (403, 403, 403)
    assert len(dash.store.list_runs()) == runs


def test_a_forged_flash_cookie_shows_nothing_it_does_not_point_to(
    dash: Dashboard, officer: httpx.Client
) -> None:
    for value in ("ok.run_" + "0" * 32 + ".5.5", "<script>alert(1)</script>",
                  "error.<b>Injected</b>", "ok." + dash.store.list_runs()[0].run_id + ".x.y"):
        officer.cookies.set("ecg_flash", value, path="/ui")
        answer = officer.get("/ui/")
        assert answer.status_code == 200
        assert parse(answer.text).all(id="flash") == [], value
        assert "<script>alert" not in answer.text and "<b>Injected" not in answer.text


@pytest.mark.parametrize("path", [
    "/ui/ledger/..%2F..%2Fetc%2Fpasswd", "/ui/ledger/sub_%3Cscript%3E",
    "/ui/ledger/SUB_" + "0" * 32, "/ui/ledger/sub_" + "0" * 33,
])
def test_submission_ids_that_are_not_ids_are_not_found(officer: httpx.Client, path: str) -> None:
    answer = officer.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert "<script>" not in answer.text


def test_static_files_cannot_reach_outside_their_folder(dash: Dashboard) -> None:
    with dash.anonymous() as client:
        for path in ("/ui/static/../templates/base.html", "/ui/static/%2e%2e/context.py",
                     "/ui/static/..%2F..%2Fsettings.py", "/ui/static/__init__.py",
                     "/ui/static/%2e%2e/templates/base.html"):
            assert client.get(path).status_code == 404, path
        assert client.get("/ui/static/dashboard.css").status_code == 200


def test_the_store_path_and_keys_never_show_on_a_page(
    dash: Dashboard, officer: httpx.Client, tmp_path: Path
) -> None:
    secrets = [str(dash.settings.data_dir), str(dash.settings.keys.pseudonym_key)]
    for path in (*PAGES, f"/ui/ledger/{some_submission(dash)}"):
        html = officer.get(path).text
        assert not any(s in html for s in secrets), path
