"""The aggregation hub at scale: many gateways contribute, the hub adds, the insurer decrypts.

    python benchmarks/hub_scale.py --exporters 1000 --buckets 5000 --json hub-scale.json

What it measures, in one run:

1. Homomorphic additions per second on raw ciphertexts (``gateway.crypto.add_raw``, the hub's
   running-sum step) on one core and on every core (one process per core).
2. End to end over loopback HTTP: a real ``gateway hub serve`` process receives one signed
   contribution per exporter (every exporter contributes to every bucket), verifies and applies
   each; the hub then releases the period, and the insurer's key custodian verifies and decrypts
   the release. The decrypted totals are compared with the plaintext sums the generator kept.
3. The hub's peak resident memory and its store's size, per bucket.

Both cores are used: the load generator (contribution building and sending) runs in one
process per core beside the hub's server process.

Load-generator ciphertexts are textbook Paillier, ``(1 + m·n) · r^n mod n²``, with ``r^n``
drawn as the product of three obfuscators from a pool precomputed per process. That is enough
for timing and for checking sums, and far cheaper than a fresh ``r`` per value, but products
of a small pool do not give independent randomness: this shortcut is for load generation only.
Contributions are built and signed with the gateway's own code (``sign_contribution``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import gmpy2
import httpx

from gateway.crypto import PaillierPublicKey, generate_paillier_keypair, generate_signing_key
from gateway.crypto.ciphertext import add_raw, encode_ciphertext
from gateway.crypto.signing_key import dump_signing_key, load_signing_key
from gateway.hub.contribution import BucketKey, sign_contribution
from gateway.sign import build_jwks

PERIOD = "2026-10"
COUNTRIES = ("DE", "US", "JP", "VN", "BR", "FR", "GB", "CN", "IN", "MX")
POOL = 32


def bucket_keys(count: int) -> list[BucketKey]:
    """``count`` distinct buckets over buyers, countries and maturity months."""
    return sorted(
        BucketKey(
            buyer=f"ic:BUY-{i:06d}",
            country=COUNTRIES[i % len(COUNTRIES)],
            currency="USD",
            maturity_month=f"2027-{1 + i % 12:02d}",
        )
        for i in range(count)
    )


def _pool(n: int, rng: random.Random) -> list[Any]:
    n2 = gmpy2.mpz(n) * n
    return [gmpy2.powmod(gmpy2.mpz(rng.randrange(2, n)), n, n2) for _ in range(POOL)]


def _encrypt(n: int, n2: Any, pool: Sequence[Any], m: int, rng: random.Random) -> int:
    obfuscator = pool[rng.randrange(POOL)] * pool[rng.randrange(POOL)] % n2
    obfuscator = obfuscator * pool[rng.randrange(POOL)] % n2
    return int((1 + m * n) * obfuscator % n2)


def _contribute(job: tuple[int, list[tuple[str, bytes]], int, str, str, int]) -> dict[str, Any]:
    """One worker: build, sign and send the contributions of its exporters; return the
    plaintext sums per bucket index and timings."""
    n, exporters, buckets, hub_url, hub_id, seed = job
    rng = random.Random(seed)  # noqa: S311 - load generation only (see the module docstring)
    public = PaillierPublicKey(n)
    n2 = gmpy2.mpz(n) * n
    keys = bucket_keys(buckets)
    pool = _pool(n, rng)
    sums = [0] * buckets
    build_s = send_s = 0.0
    with httpx.Client(base_url=hub_url, timeout=600) as client:
        for exporter_id, pem in exporters:
            started = time.perf_counter()
            amounts = [rng.randrange(1, 10**9) for _ in range(buckets)]
            ciphertexts = {
                key: encode_ciphertext(public, _encrypt(n, n2, pool, m, rng))
                for key, m in zip(keys, amounts, strict=True)
            }
            jws = sign_contribution(
                exporter_id, hub_id, PERIOD, ciphertexts, public, load_signing_key(pem, None),
                now=int(time.time()),
            )
            built = time.perf_counter()
            answer = client.post(
                "/v1/contributions", content=jws.encode("ascii"),
                headers={"Content-Type": "application/jose"},
            )
            if answer.status_code not in (200, 201, 202):
                raise RuntimeError(f"hub refused {exporter_id}: {answer.status_code} {answer.text}")
            send_s += time.perf_counter() - built
            build_s += built - started
            for i, m in enumerate(amounts):
                sums[i] += m
    return {"sums": sums, "build_s": build_s, "send_s": send_s, "count": len(exporters)}


def _add_loop(job: tuple[int, int, int]) -> float:
    n, count, seed = job
    rng = random.Random(seed)  # noqa: S311 - timing data
    public = PaillierPublicKey(n)
    n2 = n * n
    values = [rng.randrange(2, n2 - 1) | 1 for _ in range(1024)]
    total = values[0]
    started = time.perf_counter()
    for i in range(count):
        total = add_raw(public, total, values[i & 1023])
    return count / (time.perf_counter() - started)


def additions_per_second(n: int, count: int, processes: int) -> float:
    """Raw additions per second over ``processes`` processes running at once."""
    if processes == 1:
        return _add_loop((n, count, 1))
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        return sum(pool.map(_add_loop, [(n, count, s) for s in range(processes)]))


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the hub exited during start-up")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the hub did not start")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from gateway.examples.insurer_api.custody import KeyCustodian
    from gateway.hub.release import verify_release
    from gateway.hub.settings import load_hub_settings
    from gateway.hub.setup import init_hub
    from gateway.hub.store import HubStore

    workers = args.workers or os.cpu_count() or 1
    print(f"Paillier {args.bits}-bit key ...", flush=True)
    private = generate_paillier_keypair(args.bits)
    public = private.public_key
    n = public.n
    report: dict[str, Any] = {
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "bits": args.bits, "exporters": args.exporters, "buckets": args.buckets, "k": args.k,
        "workers": workers,
    }
    print("additions per second ...", flush=True)
    report["additions_per_s_1_core"] = round(additions_per_second(n, args.additions, 1))
    report[f"additions_per_s_{workers}_processes"] = round(
        additions_per_second(n, args.additions, workers))

    root = Path(tempfile.mkdtemp(prefix="hub-scale-"))
    key_file = root / "insurer_paillier_public.json"
    key_file.write_text(json.dumps(public.to_document()), encoding="utf-8")
    port = args.port
    made = init_hub(root / "hub", hub_id="hub-bench", insurer_id="insurer-bench",
                    insurer_paillier_key=key_file, fingerprint=public.fingerprint, k=args.k,
                    port=port)
    settings = load_hub_settings(made.config)
    exporters: list[tuple[str, bytes]] = []
    store = HubStore(settings.store_path)
    for i in range(args.exporters):
        key = generate_signing_key()
        exporter_id = f"exporter-{i:05d}"
        store.register_exporter(exporter_id, build_jwks([key]), now=int(time.time()))
        exporters.append((exporter_id, dump_signing_key(key, None)))

    token = secrets.token_urlsafe(32)
    env = {**os.environ, settings.release_token_env: token}
    hub_log = (root / "hub.log").open("wb")
    hub = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gateway", "hub", "serve", "--config", str(made.config)],
        stdout=hub_log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, hub)
        print(f"{args.exporters} exporters x {args.buckets} buckets ...", flush=True)
        started = time.perf_counter()
        slices = [exporters[w::workers] for w in range(workers)]
        jobs = [(n, s, args.buckets, url, "hub-bench", 1000 + w) for w, s in enumerate(slices)]
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            results = list(pool.map(_contribute, jobs))
        contributed = time.perf_counter() - started
        answer = httpx.post(f"{url}/v1/periods/{PERIOD}/release",
                            headers={"Authorization": f"Bearer {token}"}, timeout=600)
        answer.raise_for_status()
        jws = httpx.get(f"{url}/v1/releases/{PERIOD}", timeout=600,
                        headers={"Authorization": f"Bearer {token}"}).text
        released = time.perf_counter() - started
        hub_jwks = json.loads(made.jwks.read_text(encoding="utf-8"))
        verified = verify_release(jws, hub_jwks=hub_jwks, insurer_id="insurer-bench",
                                  paillier=public, now=int(time.time()))
        decrypted = KeyCustodian(private, min_k=args.k).decrypt_release(verified)
        total = time.perf_counter() - started
        peak = _peak_rss_mib(hub.pid)
    finally:
        hub.terminate()
        hub.wait(timeout=30)
        hub_log.close()

    sums = [sum(r["sums"][i] for r in results) for i in range(args.buckets)]
    expected = dict(zip(bucket_keys(args.buckets), sums, strict=True))
    got = {
        BucketKey(b.buyer, b.country, b.currency, b.maturity_month): b.total_minor
        for b in decrypted.buckets
    }
    report["decrypted_equals_plaintext_sums"] = got == expected
    store_bytes = sum(p.stat().st_size for p in settings.data_dir.iterdir() if p.is_file())
    additions = args.exporters * args.buckets
    report.update({
        "contributions_s": round(contributed, 1),
        "release_s": round(released - contributed, 1),
        "end_to_end_s": round(total, 1),
        "effective_additions_per_s": round(additions / contributed),
        "generator_build_s_per_contribution": round(
            sum(r["build_s"] for r in results) / args.exporters, 4),
        "send_and_apply_s_per_contribution": round(
            sum(r["send_s"] for r in results) / args.exporters, 4),
        "hub_peak_rss_mib": round(peak, 1),
        "hub_peak_rss_kib_per_bucket": round(peak * 1024 / args.buckets, 1),
        "hub_store_mib": round(store_bytes / 2**20, 1),
        "hub_store_bytes_per_bucket": round(store_bytes / args.buckets),
    })
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exporters", type=int, default=1000)
    parser.add_argument("--buckets", type=int, default=5000)
    parser.add_argument("--bits", type=int, default=2048)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    parser.add_argument("--additions", type=int, default=200_000)
    parser.add_argument("--port", type=int, default=8719)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report = run(args)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if report["decrypted_equals_plaintext_sums"] else 1


if __name__ == "__main__":
    sys.exit(main())
