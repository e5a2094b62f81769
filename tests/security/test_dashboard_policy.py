"""Attacks on the policy page (``/ui/policy`` and its POST endpoints), one test per attack.

The whole gateway app with its dashboard on a loopback port (kit:
tests/unit/dashboard/test_policy_page_kit.py): real sessions, engine, store and serve jobs.
"""

from __future__ import annotations

import json
import re
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.adapters.policy_files import MAX_MODULE_BYTES, MAX_TOTAL_BYTES
from tests.unit.auth.web_kit import assert_csrf_enforced
from tests.unit.dashboard.served import parse
from tests.unit.dashboard.test_policy_page_kit import (
    RULE,
    PolicyGateway,
    edited,
    gateway_config,
    gw,
    shipped_modules,
)

HOSTILE = "</textarea><script>alert(1)</script><img src=x onerror=alert(2)>"
ENDPOINTS = ("/ui/policy/preview", "/ui/policy/test", "/ui/policy/activate")


__all__ = ["gateway_config", "gw"]  # fixtures


def body(path: str, modules: dict[str, str]) -> dict[str, object]:
    """The JSON the page's script posts to ``path`` (only activation carries a reason)."""
    return {"modules": modules, **({"reason": "r"} if path.endswith("/activate") else {})}


def nothing_changed(gw: PolicyGateway, version: str) -> bool:
    return gw.store.active_policy() is None and gw.ctx.runtime.current.engine.version == version


@pytest.mark.parametrize("user", ["auditor", "admin"])
def test_roles_without_the_permission_are_refused_even_with_a_valid_csrf_token(
    gw: PolicyGateway, user: str
) -> None:
    before = gw.ctx.runtime.current.engine.version
    headers = gw.headers(user)  # the page's own token and origin: only the role is wrong
    client = gw.client(user)
    statuses = [
        client.post(path, json=body(path, shipped_modules()), headers=headers).status_code
        for path in ENDPOINTS
    ]
    rollback = client.post("/ui/policy/rollback", headers=headers,
                           json={"version": before, "reason": "not mine to give"})
    form = gw.form(user, "/ui/policy/activate", {"path": RULE, "text": "x", "reason": "r"})
    assert statuses == [403, 403, 403] and rollback.status_code == 403
    assert form.status_code == 403
    assert nothing_changed(gw, before)


def test_posts_without_the_session_csrf_token_or_from_another_origin_are_refused(
    gw: PolicyGateway,
) -> None:
    before = gw.ctx.runtime.current.engine.version
    client = gw.client("officer")
    for path in ENDPOINTS:
        assert_csrf_enforced(client, path, json_body=body(path, shipped_modules()))
    assert_csrf_enforced(client, "/ui/policy/activate",
                         form={"path": RULE, "text": shipped_modules()[RULE], "reason": "forged"})
    assert_csrf_enforced(client, "/ui/policy/rollback", form={"version": before, "reason": "x"})
    assert nothing_changed(gw, before)


def test_posts_without_a_session_are_refused(gw: PolicyGateway) -> None:
    with httpx.Client(base_url=gw.url, timeout=30) as anonymous:
        for path in (*ENDPOINTS, "/ui/policy/rollback"):
            answer = anonymous.post(path, json={"modules": shipped_modules()},
                                    headers={"Origin": gw.url})
            assert answer.status_code == 401, path


def test_an_oversize_module_is_refused_and_nothing_is_activated(gw: PolicyGateway) -> None:
    before = gw.ctx.runtime.current.engine.version
    big = edited("package redaction.export_record\n",
                 "package redaction.export_record\n#" + "x" * MAX_MODULE_BYTES + "\n")
    for path in ENDPOINTS:
        answer = gw.post("officer", path, body(path, big))
        assert answer.status_code == 413, path
        assert "larger than" in answer.json()["error"]
    assert nothing_changed(gw, before)


def raw_post(gw: PolicyGateway, path: str, headers: dict[str, str], payload: bytes) -> bytes:
    """POST with headers exactly as given (a declared length httpx would not send) and read the
    start of the answer."""
    parts = urlsplit(gw.url)
    assert parts.hostname is not None and parts.port is not None
    cookies = "; ".join(f"{c.name}={c.value}" for c in gw.client("officer").cookies.jar)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", f"Cookie: {cookies}",
            *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    answer = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall("\r\n".join(head).encode() + payload)
        while not _complete(answer) and (chunk := sock.recv(65536)):
            answer += chunk
    return answer


def _complete(answer: bytes) -> bool:
    """Whether ``answer`` holds a whole response: its head and Content-Length bytes of body."""
    head, found, rest = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(found and length and len(rest) >= int(length.group(1)))


def test_a_body_declared_over_the_policy_bound_is_refused_before_it_is_read(
    gw: PolicyGateway,
) -> None:
    headers = {**gw.headers("officer"), "Content-Type": "application/json",
               "Content-Length": str(MAX_TOTAL_BYTES + 1)}
    answer = raw_post(gw, "/ui/policy/preview", headers, b'{"modules": {}}')
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:40]
    assert f"body over {MAX_TOTAL_BYTES} bytes".encode() in answer


def test_a_body_without_a_declared_length_is_refused(gw: PolicyGateway) -> None:
    headers = {**gw.headers("officer"), "Content-Type": "application/json",
               "Transfer-Encoding": "chunked"}
    answer = raw_post(gw, "/ui/policy/preview", headers, b"2\r\n{}\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411 "), answer[:40]
    assert b"a Content-Length is required" in answer


def test_a_module_path_that_leaves_the_bundle_is_refused(gw: PolicyGateway) -> None:
    before = gw.ctx.runtime.current.engine.version
    text = shipped_modules()[RULE]
    for bad in ("../evil.rego", "/etc/evil.rego", "redaction/../../evil.rego",
                "redaction\\..\\evil.rego", "redaction/evil.txt", "redaction//evil.rego"):
        modules = {**shipped_modules(), bad: text}
        for path in ENDPOINTS:
            answer = gw.post("officer", path, body(path, modules))
            assert answer.status_code == 422, (bad, path)
            assert "not a relative POSIX path" in answer.json()["error"]
        form = gw.form("officer", "/ui/policy/activate",
                       {"path": bad, "text": text, "reason": "traversal"})
        assert form.status_code == 422, bad
    assert nothing_changed(gw, before)


def test_hostile_text_in_a_module_and_a_reason_round_trips_escaped(gw: PolicyGateway) -> None:
    modules = edited("package redaction.export_record\n",
                     f"package redaction.export_record\n\n# {HOSTILE}\n")
    answer = gw.post("officer", "/ui/policy/activate", {"modules": modules, "reason": HOSTILE})
    assert answer.status_code == 200, answer.text
    html = gw.page("officer").text
    assert HOSTILE not in html and "<script>alert" not in html
    page = parse(html)
    assert [s.attrs.get("src") for s in page.all("script")] == ["/ui/static/rego-editor.js"]
    assert not page.all("img")
    editor = page.one("textarea", id="rego-editor")
    assert "".join(editor.parts) == "\n" + modules[RULE]
    source = page.one("textarea", data_module=RULE)
    assert "".join(source.parts) == "\n" + modules[RULE]
    row = page.one("table", id="activation-history").one("tr", class_="history-row")
    assert HOSTILE in row.text()
    preview = gw.post("officer", "/ui/policy/preview", {"modules": modules})
    assert preview.headers["content-type"] == "application/json"
    assert preview.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_body_that_is_not_strict_json_of_text_modules_is_refused(gw: PolicyGateway) -> None:
    client, headers = gw.client("officer"), gw.headers("officer")
    text = json.dumps(shipped_modules()[RULE])
    bodies = [
        b'{"modules": {"a.rego": 1}}',
        f'{{"modules": {{"{RULE}": {text}}}, "modules": {{}}}}'.encode(),
        b'{"modules": {"a.rego": "package a"}, "extra": true}',
        json.dumps({"modules": {RULE: "package x\n\u0000"}}).encode(),
        b"[1, 2]",
    ]
    for raw in bodies:
        answer = client.post("/ui/policy/preview", content=raw,
                             headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 422, raw[:60]
