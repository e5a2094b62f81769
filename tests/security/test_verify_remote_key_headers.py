"""Attack: the token names or carries its own key (``jku``, ``x5u``, ``jwk``, ``x5c``).

Each token is signed by an attacker's key and points at that key: embedded as a JWK or a
certificate chain, or served over real loopback HTTP at the ``jku``/``x5u`` URL. A verifier that
followed the header would accept the token (and make requests the attacker chose). Both
verifiers refuse the header by name, the loopback server sees no request, and no socket is
opened or name resolved (the socket functions fail the test if called).
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from gateway.crypto import SigningKey, generate_signing_key
from gateway.errors import VerificationError
from gateway.sign import build_jwks
from tests.security.verify_kit import Target


class _KeyServer:
    """A loopback HTTP server that hands out the attacker's JWKS and certificate."""

    def __init__(self, attacker: SigningKey, cert_pem: bytes) -> None:
        self.requests: list[str] = []
        bodies = {"/jwks.json": json.dumps(build_jwks([attacker])).encode(), "/cert.pem": cert_pem}
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                body = bodies.get(self.path, b"")
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def _self_signed(attacker: SigningKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "exporter-kr-001")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(attacker.jws_key().public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(attacker.jws_key(), None)
    )


@pytest.fixture(scope="module")
def attacker() -> SigningKey:
    return generate_signing_key()


@pytest.fixture(scope="module")
def attacker_cert(attacker: SigningKey) -> x509.Certificate:
    return _self_signed(attacker)


@pytest.fixture(scope="module")
def key_server(attacker: SigningKey, attacker_cert: x509.Certificate) -> Iterator[_KeyServer]:
    server = _KeyServer(attacker, attacker_cert.public_bytes(serialization.Encoding.PEM))
    try:
        # The URL really serves the attacker's key: a verifier that followed jku would get it.
        conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=5)
        conn.request("GET", "/jwks.json")
        assert json.loads(conn.getresponse().read())["keys"][0]["kid"] == attacker.kid
        conn.close()
        server.requests.clear()
        yield server
    finally:
        server.close()


def _header_value(name: str, attacker: SigningKey, cert: x509.Certificate, url: str) -> Any:
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "jku": f"{url}/jwks.json",
        "x5u": f"{url}/cert.pem",
        "jwk": attacker.public_jwk(),
        "x5c": [base64.b64encode(der).decode("ascii")],
    }[name]


@pytest.mark.parametrize("name", ["jku", "x5u", "jwk", "x5c"])
@pytest.mark.parametrize("kid_of", ["attacker", "trusted_key"])
def test_verify_key_url_and_embedded_key_headers_are_refused_without_network(
    verify_target: Target,
    attacker: SigningKey,
    attacker_cert: x509.Certificate,
    key_server: _KeyServer,
    no_network: list[Any],
    name: str,
    kid_of: str,
) -> None:
    kid = attacker.kid if kid_of == "attacker" else verify_target.key.kid
    value = _header_value(name, attacker, attacker_cert, key_server.url)
    header = verify_target.header(kid=kid, **{name: value})
    token = verify_target.forge(header, verify_target.body(), attacker)
    with pytest.raises(VerificationError, match=f"parameter '{name}' is not accepted"):
        verify_target.verify(token)
    assert key_server.requests == []
