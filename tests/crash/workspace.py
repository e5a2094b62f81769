"""One crash-test work directory: gateway keys, a running insurer, an export and a config.

The insurer (2048-bit Paillier key, its own receipt key) runs in its own process; the gateway
talks to it through a :class:`~tests.crash.proxy.Relay` in the test process, which can kill the
gateway between the insurer's answer and the gateway's reading of it. Every ``gateway`` command
runs as a subprocess, as a user runs it.
"""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from gateway.devsetup import create_dev_insurer, write_config
from gateway.keys import generate_gateway_keys, load_pseudonym_key_file

from . import checks, stores
from .export import Export, new_export
from .processes import Done, InsurerProcess, run_gateway, start_gateway
from .proxy import Relay

EXPORTER = "exporter-crash"
SOURCE = "erp"
PAILLIER_BITS = 2048


@dataclass
class Workspace:
    """Keys, a running insurer (behind a relay), an export and a configuration under ``root``."""

    root: Path
    config: Path
    export: Export
    insurer: InsurerProcess
    relay: Relay
    insurer_state: Path
    store: Path
    pseudonym_key_path: Path
    identity: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls, root: Path, records: int, rng: random.Random, *, chunk: int | None = None
    ) -> Workspace:
        """Set everything up and start the insurer. ``chunk`` caps attachments per submission,
        so that one run writes several outbox entries."""
        root.mkdir(parents=True, exist_ok=True)
        keys = generate_gateway_keys(root / "keys", EXPORTER)
        dev = create_dev_insurer(
            root / "insurer", gateway_jwks=keys.jwks, exporter_id=EXPORTER,
            paillier_bits=PAILLIER_BITS,
        )
        insurer = InsurerProcess(dev.config_path, root / "insurer.log")
        relay = Relay(insurer.start())
        try:
            export = new_export(root / "export.csv", records, rng)
            config = write_config(
                root, exporter_id=EXPORTER, keys=keys, insurer=dev,
                sources=[(SOURCE, export.path)], insurer_url=relay.base_url,
            )
            if chunk is not None:
                with config.open("a", encoding="utf-8") as out:
                    out.write(f"\n[limits]\nmax_attachments_per_submission = {chunk}\n")
            state = json.loads(dev.config_path.read_text(encoding="utf-8"))["state_path"]
        except BaseException:
            relay.close()
            insurer.stop()
            raise
        return cls(
            root=root, config=config, export=export, insurer=insurer, relay=relay,
            insurer_state=dev.directory / state, store=root / "data" / "gateway.sqlite3",
            pseudonym_key_path=keys.pseudonym_key,
        )

    def close(self) -> None:
        self.relay.close()
        self.insurer.stop()

    # -- commands ------------------------------------------------------------------------------
    def sync(self, log: str = "sync.log", timeout: float = 300.0) -> Done:
        return run_gateway("sync", "--config", str(self.config), log=self.root / log,
                           cwd=self.root, timeout=timeout)

    def start_sync(self, log: str = "killed.log") -> subprocess.Popen[bytes]:
        return start_gateway("sync", "--config", str(self.config), log=self.root / log,
                             cwd=self.root)

    def ledger_verify(self) -> Done:
        return run_gateway("ledger", "verify", "--config", str(self.config),
                           log=self.root / "ledger.log", cwd=self.root)

    # -- views ---------------------------------------------------------------------------------
    def gateway_view(self) -> stores.GatewayView:
        return stores.read_gateway(self.store)

    def insurer_view(self) -> stores.InsurerView:
        return stores.read_insurer(self.insurer_state)

    def identities(self) -> dict[str, str]:
        """Identity value at the insurer -> invoice, for every invoice in the export."""
        known = set(self.identity.values())
        missing = [r.invoice for r in self.export.rows if r.invoice not in known]
        if missing:
            key = load_pseudonym_key_file(self.pseudonym_key_path)
            self.identity.update(checks.tokens(key, missing))
        return self.identity

    def check(self, recovery: Done) -> checks.Findings:
        """Every check of one recovered run: (a) lost, (b) duplicates and versions, (c) the
        ledger, (d) the account, (e) the outbox; plus the recovery's exit and the insurer."""
        findings = checks.Findings()
        if recovery.returncode != 0:
            findings.recovery_failures += 1
            findings.notes.append(f"recovery sync exited {recovery.returncode}")
        if not self.insurer.alive():
            findings.recovery_failures += 1
            findings.notes.append("the insurer process died")
        gateway = self.gateway_view()
        checks.check_insurer(
            self.export, self.insurer_view(), gateway, SOURCE, self.identities(), findings
        )
        ledger = self.ledger_verify()
        if ledger.returncode != 0:
            findings.ledger_failures += 1
            findings.notes.append(f"ledger verify exited {ledger.returncode}")
        checks.check_account(gateway, SOURCE, len(self.export.rows), findings)
        checks.check_outbox(gateway, findings)
        return findings
