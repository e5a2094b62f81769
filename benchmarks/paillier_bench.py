"""Paillier encryption and homomorphic addition throughput, against stock python-paillier.

    python benchmarks/paillier_bench.py [--bits 2048 3072] [--seconds N] [--json out.json]

For each key size, in one run:

1. naive phe: ``phe``'s ``public_key.encrypt(m)`` one value at a time, one core;
2. textbook pool: the background worker's refill rate (one process), encryptions drawing on a
   stocked pool (burst), and sustained encryptions from a fresh pool on two cores (the worker
   plus the inline fallback in the main process);
3. DJN fixed-base (opt-in): encryptions on one core and in two processes;
4. homomorphic additions per core: the GMP product, ``add_raw`` (with its checks),
   ``add_raw_many``, and plain Python integers;
5. a stock ``phe`` private key decrypts a sample of every kind of ciphertext (``ok``/``FAIL``;
   the exit status is 1 on any FAIL).

Encryptions go through ``encrypt_bucket_totals`` (base64url included), as the pipeline calls it.
``run(bits, seconds)`` returns the figures as a dict for other scripts.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import gmpy2
import phe
from phe import paillier

from gateway.crypto import (
    DjnFixedBase,
    TextbookPool,
    add_raw,
    add_raw_many,
    decode_ciphertext,
    encrypt_bucket_totals,
    generate_paillier_keypair,
)
from gateway.crypto.paillier_keys import PaillierPublicKey

SAMPLE = 24
CHUNK = 64


def _values(n: int, count: int) -> list[int]:
    """Plaintexts in minor units, including negatives and phe's largest magnitude."""
    edge = n // 3 - 1
    fixed = [0, 1, -1, edge, -edge]
    return (fixed + [secrets.randbelow(2 * 10**12) - 10**12 for _ in range(count)])[:count]


def _rate(count: int, elapsed: float) -> float:
    return round(count / elapsed, 1) if elapsed > 0 else 0.0


def _timed(step: Callable[[], int], seconds: float) -> tuple[int, float, float]:
    """Call ``step`` (which returns how many operations it did) until ``seconds`` pass.

    Returns the count, the wall-clock seconds and this process's CPU seconds: on a shared
    machine the CPU-time rate is the better per-core figure.
    """
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        done += step()
    return done, time.perf_counter() - start, time.process_time() - cpu


def _rates(done: int, elapsed: float, cpu: float) -> dict[str, float]:
    return {"per_s": _rate(done, elapsed), "per_cpu_s": _rate(done, cpu)}


def _encrypt(public: PaillierPublicKey, values: list[int], source: Any) -> tuple[list[str], float]:
    """The base64url ciphertexts of ``values`` and the seconds it took."""
    t0 = time.perf_counter()
    texts = encrypt_bucket_totals(public, values, obfuscators=source)
    return texts, time.perf_counter() - t0


def _pairs(public: PaillierPublicKey, values: list[int], texts: list[str]) -> list[tuple[int, int]]:
    return [(m, decode_ciphertext(public, t)) for m, t in zip(values, texts, strict=True)]


def _naive_phe(n: int, seconds: float) -> tuple[dict[str, Any], list[tuple[int, int]]]:
    public = paillier.PaillierPublicKey(n)
    values = _values(n, SAMPLE)
    sample: list[tuple[int, int]] = []

    def step() -> int:
        m = values[len(sample) % len(values)]
        c = int(public.encrypt(m).ciphertext(be_secure=True))
        if len(sample) < SAMPLE:
            sample.append((m, c))
        return 1

    return _rates(*_timed(step, seconds)), sample


def _textbook(public: PaillierPublicKey, seconds: float) -> tuple[dict[str, Any], list[Any]]:
    n, samples = public.n, []
    out: dict[str, Any] = {}
    with TextbookPool(n, size=1 << 16, batch=8) as pool:
        pool.wait_stocked(8, timeout=120)
        before, t0 = pool.stocked(), time.perf_counter()
        time.sleep(seconds)
        made, elapsed = pool.stocked() - before, time.perf_counter() - t0
        out["refill_per_s_1_worker"] = _rate(made, elapsed)
        count = max(8, pool.stocked())
        values = _values(n, count)
        texts, elapsed = _encrypt(public, values, pool)
        stats = pool.stats()
        out["burst"] = {"values": count, "encryptions_per_s": _rate(count, elapsed),
                        "pooled": stats.pooled, "inline": stats.inline}
        samples += _pairs(public, values[:SAMPLE], texts[:SAMPLE])
    sustained = max(200, int(2.2 * out["refill_per_s_1_worker"] * seconds))
    values = _values(n, sustained)
    with TextbookPool(n, size=4096) as pool:
        texts, elapsed = _encrypt(public, values, pool)
        stats = pool.stats()
    out["sustained_2_cores"] = {"values": sustained, "encryptions_per_s": _rate(sustained, elapsed),
                                "pooled": stats.pooled, "inline": stats.inline,
                                "seconds": round(elapsed, 2)}
    samples += _pairs(public, values[-SAMPLE:], texts[-SAMPLE:])
    return out, samples


def _djn_worker(job: tuple[int, float]) -> tuple[dict[str, float], float, list[tuple[int, int]]]:
    """One process: build a DJN source, encrypt for ``seconds``; (rates, build s, sample)."""
    n, seconds = job
    public = PaillierPublicKey(n)
    t0 = time.perf_counter()
    source = DjnFixedBase(n)
    build = time.perf_counter() - t0
    values = _values(n, CHUNK)
    sample: list[tuple[int, int]] = []

    def step() -> int:
        texts = encrypt_bucket_totals(public, values, obfuscators=source)
        if not sample:
            sample.extend(zip(values, (decode_ciphertext(public, t) for t in texts), strict=True))
        return len(texts)

    return _rates(*_timed(step, seconds)), build, sample[:SAMPLE]


def _djn(n: int, seconds: float) -> tuple[dict[str, Any], list[tuple[int, int]]]:
    rates, build, sample = _djn_worker((n, seconds))
    out: dict[str, Any] = {"exponent_bits": DjnFixedBase(n).exponent_bits,
                           "table_build_s": round(build, 3), "one_core": rates}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as workers:
        results = list(workers.map(_djn_worker, [(n, seconds)] * 2))
    out["two_processes_per_s"] = round(sum(r[0]["per_s"] for r in results), 1)
    return out, sample + results[1][2]


def _additions(public: PaillierPublicKey, seconds: float) -> tuple[dict[str, Any], Any]:
    n = public.n
    n_square = n * n
    texts, _ = _encrypt(public, list(range(1, 1025)), DjnFixedBase(n))
    cts = [decode_ciphertext(public, t) for t in texts]
    slot = seconds / 4
    mpz_square, mpz_cts = gmpy2.mpz(n_square), [gmpy2.mpz(c) for c in cts]
    out: dict[str, Any] = {}

    def gmp() -> int:
        total = mpz_cts[0]
        for c in mpz_cts:
            total = total * c % mpz_square
        return len(mpz_cts)

    def checked() -> int:
        total = cts[0]
        for c in cts:
            total = add_raw(public, total, c)
        return len(cts)

    def many() -> int:
        add_raw_many(public, cts[0], cts)
        return len(cts)

    def python() -> int:
        total = cts[0]
        for c in cts:
            total = total * c % n_square
        return len(cts)

    for name, step in (("gmpy2_raw", gmp), ("add_raw_checked", checked),
                       ("add_raw_many", many), ("python_int", python)):
        out[name] = _rates(*_timed(step, slot))
    check = (sum(range(1, 1025)) + 1, add_raw_many(public, cts[0], cts))
    return out, check


def _check(private: paillier.PaillierPrivateKey, pairs: Sequence[tuple[int, int]]) -> bool:
    public = private.public_key
    return bool(pairs) and all(
        private.decrypt(paillier.EncryptedNumber(public, c, 0)) == m for m, c in pairs
    )


def run_bits(bits: int, seconds: float) -> dict[str, Any]:
    """The figures for one key size (see the module docstring)."""
    t0 = time.perf_counter()
    key = generate_paillier_keypair(bits)
    public, n = key.public_key, key.public_key.n
    private = paillier.PaillierPrivateKey(paillier.PaillierPublicKey(n), key.p, key.q)
    report: dict[str, Any] = {"bits": bits, "keygen_s": round(time.perf_counter() - t0, 2)}
    report["naive_phe"], naive = _naive_phe(n, seconds)
    report["textbook_pool"], textbook = _textbook(public, seconds)
    report["djn_fixed_base"], djn = _djn(n, seconds)
    report["additions_per_core"], (expected, total) = _additions(public, seconds)
    report["stock_phe_decrypts"] = {
        "naive_phe": _check(private, naive),
        "textbook_pool": _check(private, textbook),
        "djn_fixed_base": _check(private, djn),
        "additions": _check(private, [(expected, total)]),
    }
    return report


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The figures of one key size that targets read, each naming the mode it measures."""
    tb, djn, add = result["textbook_pool"], result["djn_fixed_base"], result["additions_per_core"]
    return {
        "bits": result["bits"],
        "encryptions_per_s": djn["one_core"]["per_s"],
        "encryptions_mode": "DJN fixed-base (opt-in), one process",
        "djn_encryptions_per_s_2_processes": djn["two_processes_per_s"],
        "textbook_sustained_encryptions_per_s": tb["sustained_2_cores"]["encryptions_per_s"],
        "textbook_burst_encryptions_per_s": tb["burst"]["encryptions_per_s"],
        "naive_phe_encryptions_per_s": result["naive_phe"]["per_s"],
        "additions_per_s_per_core": add["add_raw_many"]["per_s"],
        "additions_mode": "add_raw_many: range checks and one gcd per call, one core",
        "add_raw_checked_per_s": add["add_raw_checked"]["per_s"],
        "stock_phe_decrypts_all": all(result["stock_phe_decrypts"].values()),
    }


def run(bits: int | str | Sequence[int | str], seconds: float | str) -> dict[str, Any]:
    """Every figure for every key size in ``bits``, with ``seconds`` per timed measurement.

    Numbers may come as text (from a command line). The top level repeats the
    :func:`headline` of the first key size.
    """
    sizes = [int(bits)] if isinstance(bits, int | str) else [int(b) for b in bits]
    seconds = float(seconds)
    load = [round(x, 2) for x in os.getloadavg()]
    results = [run_bits(b, seconds) for b in sizes]
    return {
        "benchmark": "paillier",
        "python": platform.python_version(),
        "gmpy2": gmpy2.version(),
        "phe": phe.__version__,
        "cpus": os.cpu_count(),
        "load_average_at_start": load,
        "seconds_per_measurement": seconds,
        **headline(results[0]),
        "results": results,
    }


def _pair(rates: dict[str, float]) -> str:
    return f"{rates['per_s']:>10}/s [{rates['per_cpu_s']}]"


def render(report: dict[str, Any]) -> tuple[str, bool]:
    """Human-readable lines, and whether every decryption check passed."""
    lines = [f"python {report['python']}, gmpy2 {report['gmpy2']}, phe {report['phe']}, "
             f"{report['cpus']} CPUs, load average at start {report['load_average_at_start']}"]
    ok = True
    for r in report["results"]:
        tb, djn, add = r["textbook_pool"], r["djn_fixed_base"], r["additions_per_core"]
        sus = tb["sustained_2_cores"]
        lines += [
            f"--- {r['bits']} bits (key generation {r['keygen_s']} s); rates per wall second"
            " [per CPU second of the measuring process]",
            f"naive phe encrypt, 1 core:            {_pair(r['naive_phe'])}",
            f"textbook pool refill, 1 worker:       {tb['refill_per_s_1_worker']:>10}/s",
            f"textbook pool burst (stocked):        {tb['burst']['encryptions_per_s']:>10}/s"
            f"  ({tb['burst']['values']} values, {tb['burst']['inline']} inline)",
            f"textbook sustained, worker + inline:  {sus['encryptions_per_s']:>10}/s"
            f"  ({sus['values']} values, {sus['pooled']} pooled / {sus['inline']} inline)",
            f"DJN fixed-base, 1 core:               {_pair(djn['one_core'])}"
            f"  ({djn['exponent_bits']}-bit exponents, table {djn['table_build_s']} s)",
            f"DJN fixed-base, 2 processes:          {djn['two_processes_per_s']:>10}/s",
            f"additions gmpy2 raw, 1 core:          {_pair(add['gmpy2_raw'])}",
            f"additions add_raw (checked), 1 core:  {_pair(add['add_raw_checked'])}",
            f"additions add_raw_many, 1 core:       {_pair(add['add_raw_many'])}",
            f"additions plain Python int, 1 core:   {_pair(add['python_int'])}",
        ]
        for kind, passed in r["stock_phe_decrypts"].items():
            ok = ok and passed
            lines.append(f"stock phe decrypts {kind}: {'ok' if passed else 'FAIL'}")
    return "\n".join(lines), ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bits", type=int, nargs="+", default=[2048, 3072])
    parser.add_argument("--seconds", type=float, default=4.0, help="per timed measurement")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report = run(args.bits, args.seconds)
    text, ok = render(report)
    print(text)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
