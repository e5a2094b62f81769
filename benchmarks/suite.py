"""The benchmark suite: every pipeline stage and ``gateway sync`` end to end, at 10k, 100k and 1M.

Run from the repository root::

    python -m benchmarks.suite                                  # 10k, 100k and 1M shipments
    python -m benchmarks.suite --sizes 100000 --json out.json --markdown out.md
    python -m benchmarks.suite --quick                          # 10k only: a smoke check

For each size ``benchmarks/erp_data.py`` writes ``erp.csv`` (``generic`` mapping) and
``customs.csv`` (``customs_en``) into a temporary directory (``--data DIR`` keeps and reuses
them). The gateway's keys and a reference insurer with a 2048-bit Paillier key are generated
for the run. Each stage then runs in its own process (``benchmarks/stages.py``), so each peak
RSS belongs to one stage:

========== ====================================================== =========================
stage      timed                                                  a record is
========== ====================================================== =========================
ingest     iterating the ERP and customs sources ``open_source``  a row of either file
           and ``open_customs`` build
reconcile  ``reconcile`` on the ingested lists                    an invoice or declaration
policy     ``engine.decide`` on every attachable record's policy  a policy input
           input, one call per pipeline batch
transform  ``transform`` + ``bucket_key`` per attached decision   an attached record
aggregate  ``Aggregator`` over the exposures, then                an exposure
           ``encrypt_bucket_totals`` of the bucket totals
sign       ``sign_submission`` of payloads of 10,000 attachments  an attachment
store      record versions (``VersionTracker``) and               an attachment
           ``put_submission``, as ``Pipeline._attach``/``_emit``
deliver    ``Pipeline.deliver`` of the store stage's outbox to    an attachment
           the reference insurer
end to end ``run_sync`` (``gateway sync``) with delivery          a shipment
========== ====================================================== =========================

Stage inputs are produced once per size by an untimed ``prepare`` process (ingest, reconcile,
booking, policy, transform) and loaded before each timed region. The reference insurer of the
deliver and end-to-end stages runs in its own process (``python -m gateway.examples.insurer_api``)
on loopback, on the same machine: it shares the cores with the gateway.

The naive baselines run in the same run, on the first ``--naive-sample`` records (default
2,000; at 1M records they would take hours): the same policy engine built with batch size 1 and
asked one record at a time through its uncached path (``decide_whole``: no projection, no
decision cache), and python-paillier's ``PaillierPublicKey.encrypt`` of every
record's exposure. Records per second stay comparable.

The suite checks its own answers: per stage against the generator's expected counts, and end
to end that every account balances and that the totals the insurer decrypts equal the plaintext
sums of what the sync attached. A failed check makes the exit status 1.

Peak RSS is ``ru_maxrss`` of the stage's process, its mark reset just before the timed region,
so it is the peak of the timed region (inputs loaded included); growth is that peak minus the
resident size when the timed region starts, and is also given per million records. With two
or more sizes, the marginal growth between consecutive sizes (end-to-end peak of the larger
minus that of the smaller, per million more records) shows what a sync holds in proportion to
its input, apart from the fixed cost every run pays. The store
stage times versions, the submission id and payload hash and ``put_submission``, not signing
(the sign stage's work); sign and store payloads carry attachments only, no exposure block.

Paillier and webhook figures come from ``benchmarks.paillier_bench.run([2048, 3072], seconds)``
and ``benchmarks.webhook_latency.run(pushes, 1000)`` when those modules exist (else "not
measured"); a figure missing from what they return is reported as not measured, never guessed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from benchmarks.erp_data import AS_OF, generate
from gateway.crypto import generate_signing_key
from gateway.devsetup import DevInsurer, create_dev_insurer, write_config
from gateway.keys import GatewayKeyPaths, generate_gateway_keys

ROOT = Path(__file__).resolve().parents[1]
EXPORTER = "bench-exporter"
STAGES = ("ingest", "reconcile", "policy", "transform", "aggregate", "sign", "store", "deliver",
          "e2e")
WITH_INSURER = ("deliver", "e2e")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, Python and OS of this machine, and the code's commit."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    git = [shutil.which("git") or "git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"],  # noqa: S603 - fixed argv
                            capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],  # noqa: S603
                           capture_output=True, text=True, check=False).stdout.strip()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(mem_kib / 1024 / 1024, 1), "python": platform.python_version(),
        "os": platform.platform(), "machine": platform.machine(),
        "commit": (commit or "unknown") + (" with local changes" if dirty else ""),
    }


# -- child processes -------------------------------------------------------------------------
def run_child(args: Sequence[str], log_path: Path) -> dict[str, Any]:
    """``python -m benchmarks.stages ARGS``: its JSON answer, or the error it died of."""
    with log_path.open("ab") as err:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.stages", *args], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=err, check=False)
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode == 0 and lines:
        answer: dict[str, Any] = json.loads(lines[-1])
        return answer
    tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
    return {"error": f"exit status {done.returncode}", "log": tail}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _peak_rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


@contextmanager
def insurer_process(insurer: DevInsurer, name: str, log_path: Path) -> Iterator[dict[str, Any]]:
    """The reference insurer in its own process, with a fresh state file, on loopback."""
    config = json.loads(insurer.config_path.read_text(encoding="utf-8"))
    config["state_path"] = f"state-{name}.sqlite3"
    config_path = insurer.directory / f"insurer-{name}.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    port = _free_port()
    info: dict[str, Any] = {"url": f"http://127.0.0.1:{port}"}
    with log_path.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "gateway.examples.insurer_api", "--config", str(config_path),
             "--port", str(port)], cwd=ROOT, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"reference insurer did not start (see {log_path})")
            try:
                if httpx.get(f"{info['url']}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield info
        info["peak_rss_mib"] = _peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- one size --------------------------------------------------------------------------------
def _data(size: int, data_dir: Path) -> dict[str, Any]:
    stamp = data_dir / "expected.json"
    if stamp.exists() and (data_dir / "erp.csv").exists() and (data_dir / "customs.csv").exists():
        expected: dict[str, Any] = json.loads(stamp.read_text(encoding="utf-8"))
        if expected["shipments"] == size:
            return expected
    expected = asdict(generate(size, data_dir))
    stamp.write_text(json.dumps(expected), encoding="utf-8")
    return expected


def _config(where: Path, keys: GatewayKeyPaths, insurer: DevInsurer, data: Path,
            url: str = "http://127.0.0.1:9") -> str:
    where.mkdir(parents=True, exist_ok=True)
    return str(write_config(
        where, exporter_id=EXPORTER, keys=keys, insurer=insurer, insurer_url=url,
        sources=[("erp", data / "erp.csv")],
        customs=[("customs", data / "customs.csv", "customs_en")],
    ))


def run_size(size: int, options: argparse.Namespace, work: Path, keys: GatewayKeyPaths,
             insurer: DevInsurer) -> dict[str, Any]:
    """Every stage for ``size`` shipments; figures by stage."""
    here = work / f"size-{size}"
    data = (options.data / f"shipments-{size}") if options.data else here / "data"
    data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    expected = _data(size, data)
    out: dict[str, Any] = {"size": size, "expected": expected,
                           "generate_seconds": time.perf_counter() - started, "stages": {}}
    (here / "artefacts").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "size": size, "expected": expected, "as_of": AS_OF.isoformat(),
        "naive_sample": options.naive_sample, "artefacts": str(here / "artefacts"),
        "insurer_private_key": str(insurer.directory / json.loads(
            insurer.config_path.read_text(encoding="utf-8"))["paillier_private_key"]),
        "configs": {name: _config(here / name, keys, insurer, data)
                    for name in ("files", "outbox", "e2e")},
    }
    manifest_path = here / "manifest.json"
    log_path = work / "stages.log"

    def child(stage: str) -> dict[str, Any]:
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        log(f"  {size:,} shipments: {stage} ...")
        answer = run_child([stage, "--manifest", str(manifest_path)], log_path)
        if "error" in answer:
            log(f"  {stage} FAILED: {answer['error']}")
        return answer

    out["prepare"] = child("prepare")
    for stage in STAGES:
        if stage not in WITH_INSURER:
            out["stages"][stage] = child(stage)
            continue
        with insurer_process(insurer, f"{size}-{stage}", work / "insurer.log") as server:
            manifest["insurer_url"] = server["url"]
            config = "outbox" if stage == "deliver" else "e2e"
            manifest["configs"][config] = _config(here / config, keys, insurer, data,
                                                  server["url"])
            answer = child(stage)
        answer["insurer_peak_rss_mib"] = server.get("peak_rss_mib")
        out["stages"][stage] = answer
    shutil.rmtree(here, ignore_errors=True)
    return out


def run_crypto(options: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Paillier at 2048 and 3072 bits, and webhook latency, from their own modules."""
    log("paillier and webhook benchmarks ...")
    log_path = work / "stages.log"
    (work / "webhook").mkdir()
    return {
        "paillier": run_child(["paillier_bench", str(options.crypto_seconds), "2048", "3072"],
                              log_path),
        "webhook": run_child(["--workdir", str(work / "webhook"), "webhook_latency",
                              str(options.webhook_pushes), "1000"], log_path),
    }


# -- the report ------------------------------------------------------------------------------
LABELS = {"ingest": "ingest", "reconcile": "reconcile", "policy": "policy",
          "transform": "transform", "aggregate": "aggregate and encrypt", "sign": "sign",
          "store": "store", "deliver": "deliver", "e2e": "end to end (gateway sync)"}
MIB_PER_M_TARGET, E2E_TARGET, ENCRYPT_TARGET, ADD_TARGET, P99_TARGET = 64, 32_000, 2_000, \
    100_000, 250


def _num(value: Any, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _path(data: Any, *keys: Any) -> Any:
    """``data[k1][k2]...``, or ``None`` where the path does not exist."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _target(text: str, value: Any, limit: float | None, *, at_most: bool = False,
            unit: str = "", why: str = "not measured") -> dict[str, Any]:
    if not isinstance(value, int | float):
        return {"target": text, "status": why, "measured": None, "unit": unit}
    if limit is None:
        return {"target": text, "status": "reported", "measured": value, "unit": unit}
    ok = value <= limit if at_most else value >= limit
    return {"target": text, "status": "pass" if ok else "fail", "measured": value, "unit": unit}


def _bench(results: dict[str, Any], name: str) -> tuple[Any, str]:
    """A benchmark module's result, or why there is none."""
    answer = results["crypto"][name]
    if "error" in answer:
        return None, "failed (see the log)"
    if not answer.get("measured"):
        return None, f"not measured: {answer.get('why', '')}"
    return answer["result"], "not measured: the module's result lacks this figure"


def _paillier(results: dict[str, Any], bits: int) -> tuple[dict[str, Any] | None, str]:
    found, why = _bench(results, "paillier")
    for item in _path(found, "results") or []:
        if isinstance(item, dict) and item.get("bits") == bits:
            return item, why
    return None, why


def _crypto_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for bits in (2048, 3072):
        r, why = _paillier(results, bits)
        limit = ENCRYPT_TARGET if bits == 2048 else None
        goal = f" >= {ENCRYPT_TARGET:,}/s" if limit else " (reported)"
        out += [
            _target(f"Paillier {bits} bits{goal}: default textbook pool, sustained on 2 cores",
                    _path(r, "textbook_pool", "sustained_2_cores", "encryptions_per_s"), limit,
                    unit="encryptions/s", why=why),
            _target(f"Paillier {bits} bits{goal}: DJN fixed-base (opt-in), 2 processes",
                    _path(r, "djn_fixed_base", "two_processes_per_s"), limit,
                    unit="encryptions/s", why=why),
            _target(f"Paillier {bits} bits: naive phe encrypt, 1 core (reference)",
                    _path(r, "naive_phe", "per_s"), None, unit="encryptions/s", why=why),
        ]
    r, why = _paillier(results, 2048)
    for name, label in (("add_raw_checked", "add_raw (checked)"), ("add_raw_many", "add_raw_many")):
        out.append(_target(f"homomorphic additions >= {ADD_TARGET:,}/s per core, 2048 bits: "
                           f"{label}", _path(r, "additions_per_core", name, "per_s"), ADD_TARGET,
                           unit="additions/s", why=why))
    hook, why = _bench(results, "webhook")
    p99 = _path(hook, "p99_ms") if _path(hook, "durable_in_outbox") else None
    out.append(_target(f"webhook 1,000-record push durable in outbox, p99 <= {P99_TARGET} ms "
                       f"({_path(hook, 'pushes') or '-'} pushes, durability verified)", p99,
                       P99_TARGET, at_most=True, unit="ms", why=why))
    return out


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with pass, fail, reported, or why it was not evaluated."""
    by_size = {r["size"]: r["stages"].get("e2e", {}) for r in results["sizes"]}
    cores = results["machine"]["usable_cores"]
    e2e = by_size.get(1_000_000)
    out = [_target(f"end-to-end gateway sync, 1M-record export with reconciliation and delivery "
                   f">= {E2E_TARGET:,} records/s on 2 cores (this machine: {cores})",
                   _path(e2e, "records_per_s"), E2E_TARGET, unit="records/s",
                   why="not run (needs --sizes 1000000)" if e2e is None else "failed")]
    for size, stage in sorted(by_size.items()):
        out.append(_target(f"peak RSS growth <= {MIB_PER_M_TARGET} MiB per million records "
                           f"(end to end, {size:,} records)", stage.get("rss_growth_mib_per_m"),
                           MIB_PER_M_TARGET, at_most=True, unit="MiB/M", why="failed"))
    out += [_target(f"peak RSS growth <= {MIB_PER_M_TARGET} MiB per million records "
                    f"(end to end, marginal: {small:,} to {large:,} records)",
                    marginal_growth(by_size[small], by_size[large], large - small),
                    MIB_PER_M_TARGET, at_most=True, unit="MiB/M", why="not measured")
            for small, large in itertools.pairwise(sorted(by_size))]
    return out + _crypto_targets(results)


def marginal_growth(small: dict[str, Any], large: dict[str, Any], more: int) -> float | None:
    """How much the end-to-end peak RSS grows per million more records, between two sizes:
    what the sync holds in proportion to its input, without the fixed cost every run pays
    (interpreter, policy engine, obfuscator pool, page caches). Never below zero."""
    a, b = small.get("peak_rss_mib"), large.get("peak_rss_mib")
    if not isinstance(a, int | float) or not isinstance(b, int | float) or more <= 0:
        return None
    return max(0.0, b - a) / more * 1e6


def all_ok(results: dict[str, Any]) -> bool:
    """Every stage ran and every correctness check holds."""
    for size in results["sizes"]:
        for answer in [size["prepare"], *size["stages"].values()]:
            if "error" in answer or not all(answer.get("checks", {}).values()):
                return False
    decrypts = _path(_paillier(results, 2048)[0], "stock_phe_decrypts") or {}
    return all(decrypts.values()) and not any("error" in a for a in results["crypto"].values())


def _table(size: dict[str, Any], markdown: bool) -> list[str]:
    head = ("stage", "records", "seconds", "records/s", "peak RSS MiB", "RSS growth MiB/M records")
    rows = []
    for stage in STAGES:
        a = size["stages"].get(stage, {})
        if "error" in a:
            rows.append((LABELS[stage], "failed", a["error"], "", "", ""))
            continue
        rows.append((LABELS[stage], _num(a.get("records")), _num(a.get("seconds"), 2),
                     _num(a.get("records_per_s")), _num(a.get("peak_rss_mib"), 1),
                     _num(a.get("rss_growth_mib_per_m"), 1)))
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        return lines + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(str(r[i])) for r in (head, *rows)) for i in range(len(head))]
    fmt = "  ".join(("{:<%d}" if i == 0 else "{:>%d}") % w for i, w in enumerate(widths))
    return [fmt.format(*head)] + [fmt.format(*r) for r in rows]


def _baselines(size: dict[str, Any]) -> list[str]:
    lines = []
    for stage in ("policy", "aggregate"):
        a = size["stages"].get(stage, {})
        naive = a.get("naive")
        if not naive:
            continue
        ratio = (a["records_per_s"] / naive["records_per_s"]
                 if a.get("records_per_s") and naive.get("records_per_s") else None)
        note = f"; {naive['note']}" if naive.get("note") else ""
        lines.append(f"- naive {naive['what']}: {_num(naive['records_per_s'])} records/s on the "
                     f"first {naive['records']:,} records ({_num(naive['seconds'], 2)} s){note}. "
                     f"Optimised {LABELS[stage]} / naive: {_num(ratio, 1)}x")
    return lines


def _checks(size: dict[str, Any]) -> list[str]:
    found = {}
    for answer in [size["prepare"], *size["stages"].values()]:
        found.update(answer.get("checks", {}))
    failed = sorted(name for name, ok in found.items() if not ok)
    lines = [f"- correctness checks: {len(found) - len(failed)} of {len(found)} hold"
             + (f"; FAILED: {', '.join(failed)}" if failed else "")]
    pairs = size["stages"].get("reconcile", {}).get("fuzzy_pairs_of_unlinked_shipments")
    if pairs:
        lines.append(f"- reconciliation paired {pairs:,} ERP-only invoices with customs-only "
                     "declarations of the same buyer, amount and dates (fuzzy matches of "
                     "shipments the generator did not link)")
    e2e = size["stages"].get("e2e", {}).get("checks", {})
    for name in ("e2e_insurer_decrypted_totals_equal_attached_sums", "e2e_accounts_balance"):
        if name in e2e:
            lines.append(f"- {name.removeprefix('e2e_').replace('_', ' ')}: "
                         f"{'yes' if e2e[name] else 'NO'}")
    return lines


def render(results: dict[str, Any], *, markdown: bool) -> str:
    """The report as plain text (stdout) or as a Markdown section for BENCHMARKS.md."""
    m = results["machine"]
    h2, h3 = ("## ", "### ") if markdown else ("== ", "-- ")
    sizes = ", ".join(f"{r['size']:,}" for r in results["sizes"])
    out = [f"{h2}Pipeline stages and gateway sync: {sizes} records", "",
           f"Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
           f"{m['ram_gib']} GiB RAM, Python {m['python']}, {m['os']}; commit {m['commit']}; "
           f"load average {results['load'][0]} at the start, {results['load'][1]} at the end "
           "(other processes share the machine when it is above 0).", "",
           "Reproduce from the repository root:", ""]
    out += ["```sh", results["command"], "```"] if markdown else ["    " + results["command"]]
    for size in results["sizes"]:
        exp = size["expected"]
        out += ["", f"{h3}{size['size']:,} shipments (erp.csv {exp['erp_rows']:,} rows, "
                    f"customs.csv {exp['customs_rows']:,} rows)", ""]
        out += [*_table(size, markdown), "", *_baselines(size), *_checks(size)]
        insurer = size["stages"].get("e2e", {}).get("insurer_peak_rss_mib")
        if insurer:
            out.append(f"- reference insurer process (separate, same cores) peak RSS in the "
                       f"end-to-end run: {insurer:,.0f} MiB")
    out += ["", f"{h3}Targets", ""]
    for t in results["targets"]:
        status = t["status"]
        if status in ("pass", "fail", "reported"):
            out.append(f"- [{status.upper()}] {t['target']}: {_num(t['measured'], 1)} {t['unit']}")
        else:
            out.append(f"- [-] {t['target']}: {status}")
    return "\n".join(out) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite",
                                     description="Benchmark every stage and gateway sync.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="numbers of shipments (default: 10000 100000 1000000)")
    parser.add_argument("--quick", action="store_true", help="10,000 shipments only")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--markdown", type=Path, help="write a BENCHMARKS.md section here")
    parser.add_argument("--data", type=Path, help="keep and reuse generated exports here")
    parser.add_argument("--naive-sample", type=int, default=2000,
                        help="records the naive baselines are measured on (default 2000)")
    parser.add_argument("--crypto-seconds", type=int, default=None,
                        help="seconds per Paillier measurement (default 10; 3 with --quick)")
    parser.add_argument("--no-crypto", action="store_true",
                        help="skip the Paillier and webhook modules (reported as skipped)")
    parser.add_argument("--webhook-pushes", type=int, default=None,
                        help="1,000-record webhook pushes timed (default 200; 20 with --quick)")
    options = parser.parse_args(argv)
    if options.quick:
        options.sizes = [10_000]
    if options.crypto_seconds is None:
        options.crypto_seconds = 3 if options.quick else 10
    if options.webhook_pushes is None:
        options.webhook_pushes = 20 if options.quick else 200
    if any(n < 1 for n in options.sizes) or options.naive_sample < 1:
        parser.error("sizes and --naive-sample must be positive")
    return options


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def command_line(argv: Sequence[str] | None) -> str:
    return " ".join(["python -m benchmarks.suite", *(sys.argv[1:] if argv is None else argv)])


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    results: dict[str, Any] = {"machine": machine(), "command": command_line(argv),
                               "sizes": [], "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    load_at_start = _load()
    with tempfile.TemporaryDirectory(prefix="ecg-bench-") as tmp:
        work = Path(tmp)
        log(f"workspace {work}: keys and a 2048-bit reference insurer ...")
        keys = generate_gateway_keys(work / "keys", EXPORTER)
        insurer = create_dev_insurer(work / "insurer", gateway_jwks=keys.jwks,
                                     exporter_id=EXPORTER, paillier_bits=2048,
                                     receipt_key=generate_signing_key())
        for size in options.sizes:
            results["sizes"].append(run_size(size, options, work, keys, insurer))
        skipped = {"measured": False, "why": "skipped (--no-crypto)"}
        results["crypto"] = (run_crypto(options, work) if not options.no_crypto
                             else {"paillier": skipped, "webhook": skipped})
    results["load"] = [load_at_start, _load()]
    results["targets"] = targets(results)
    results["ok"] = all_ok(results)
    text = render(results, markdown=False)
    print(text)
    if options.markdown:
        options.markdown.write_text(render(results, markdown=True), encoding="utf-8")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
