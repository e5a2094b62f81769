"""Policy lifecycle: check a version, activate it, roll back (docs/policy-lifecycle.md).

A version is named by its content hash (:attr:`PolicyBundle.version`). Activation refuses a
version that does not compile, has no Rego unit tests or a failing one, or lets a protected
field (:mod:`gateway.policy.protected`) leave in clear on the sample records without a justified
exception. Every activation and rollback is appended to the store's log with who, when, the
hash, the reason and the justified exceptions; the latest entry is the version ``sync`` and
``serve`` use. The store is the only IO, through its interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from gateway.errors import ConfigError, PolicyError, StoreError
from gateway.policy.bundle import PolicyBundle
from gateway.policy.decision import Decision, Outcome
from gateway.policy.engine import RegoEngine
from gateway.policy.protected import ProtectedFinding, clear_findings
from gateway.policy.rego_tests import RegoTestResult, run_rego_tests
from gateway.store.base import PolicyActivation, Store
from gateway.transform import OperatorContext, build_operators

MAX_REASON_CHARS: Final = 2000
_HEX: Final = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class ActivationCheck:
    """Everything activation looked at, and why it would be refused (``problems``)."""

    version: str
    name: str
    tests: list[RegoTestResult] = field(default_factory=list)
    findings: list[ProtectedFinding] = field(default_factory=list)
    exceptions: Mapping[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    attached: int = 0  # sample records the version attaches
    samples: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for ``--json`` and the dashboard."""
        return {
            "version": self.version,
            "name": self.name,
            "ok": self.ok,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
            "tests": [
                {"name": t.name, "package": t.package, "passed": t.passed, "error": t.error}
                for t in self.tests
            ],
            "findings": [
                {"field": f.field, "label": f.label, "operator": f.operator, "records": f.records}
                for f in self.findings
            ],
            "exceptions": dict(self.exceptions),
            "samples": self.samples,
            "attached": self.attached,
        }


class ActivationRefused(PolicyError):
    """Activation or rollback refused; :attr:`check` says why."""

    def __init__(self, check: ActivationCheck) -> None:
        self.check = check
        super().__init__(
            f"policy {check.name} {check.version[:12]} not activated: " + "; ".join(check.problems)
        )


def _finding_problem(finding: ProtectedFinding) -> str:
    return (
        f"{finding.field} ({finding.label}) would leave in clear through operator "
        f"{finding.operator!r} on {finding.records} sample record(s); drop, pseudonymise or band "
        f"it, or declare it in disclosure_exceptions with a written justification"
    )


def _projection_problems(
    engine: RegoEngine, samples: Sequence[Mapping[str, Any]], decisions: Sequence[Decision]
) -> list[str]:
    """A projection that hides a field the policy reads shows on the samples: some record is
    decided differently on its projection than on the whole record."""
    if engine.projection is None:
        return []
    whole = engine.decide_whole(list(samples))
    differ = [n for n, (a, b) in enumerate(zip(decisions, whole, strict=True), 1) if a != b]
    if not differ:
        return []
    return [
        f"the projection hides a field the policy reads: {len(differ)} sample record(s) "
        f"(first: number {differ[0]}) are decided differently on what the projection shows "
        "than on the whole record; add the fields the policy reads to its projection"
    ]


def check_bundle(
    bundle: PolicyBundle,
    samples: Sequence[Mapping[str, Any]],
    context: OperatorContext,
) -> ActivationCheck:
    """Compile ``bundle``, run its Rego tests and decide ``samples`` (policy inputs) with it."""
    problems: list[str] = []
    try:
        engine = RegoEngine(bundle)
        operators = build_operators(
            engine.operators(), context, clear_allowed=engine.exceptions()
        )
    except (PolicyError, ConfigError) as exc:
        problem = f"the policy cannot be used: {exc}"
        return ActivationCheck(bundle.version, bundle.name, problems=[problem])
    tests = run_rego_tests(bundle)
    if not tests:
        problems.append("the policy has no Rego unit tests (*_test.rego with test_ rules)")
    problems += [f"Rego test {t.package}.{t.name} fails" for t in tests if not t.passed]
    decisions = engine.decide(list(samples))
    problems += _projection_problems(engine, samples, decisions)
    attached = [d.fields for d in decisions if d.outcome is Outcome.ATTACH]
    types = {name: operators.operators[name].type_name for name in operators}
    findings = clear_findings(attached, types)
    exceptions = engine.exceptions()
    problems += [_finding_problem(f) for f in findings if f.field not in exceptions]
    warnings = []
    if not attached:
        warnings.append(
            "no sample record is attached under this version, so the protected-field check saw "
            "nothing leave; each record is still checked when it is sent"
        )
    unused = sorted(set(exceptions) - {f.field for f in findings})
    if unused:
        warnings.append(f"declared exceptions not used on the samples: {', '.join(unused)}")
    return ActivationCheck(
        bundle.version, bundle.name, tests, findings, exceptions, problems, warnings,
        attached=len(attached), samples=len(samples),
    )


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = " ".join(reason.split()) if reason else ""
    if required and not text:
        raise PolicyError("give a reason (--reason) for the rollback")
    if len(text) > MAX_REASON_CHARS:
        raise PolicyError(f"the reason is longer than {MAX_REASON_CHARS} characters")
    return text or None


def _actor(actor: str) -> str:
    text = " ".join(actor.split())
    if not text or len(text) > 128:
        raise PolicyError("who activates must be named (1-128 characters)")
    return text


def activate(
    store: Store,
    bundle: PolicyBundle,
    check: ActivationCheck,
    *,
    actor: str,
    reason: str | None,
    action: str = "activate",
) -> PolicyActivation:
    """Keep ``bundle`` and make it the active version, unless ``check`` found a problem."""
    if check.version != bundle.version:
        raise PolicyError("the check was made on a different policy version")
    if not check.ok:
        raise ActivationRefused(check)
    text = _reason(reason, required=action == "rollback")
    who = _actor(actor)
    active = store.active_policy()
    if active is not None and active.version == bundle.version:
        raise PolicyError(f"policy {bundle.version[:12]} is already the active version")
    store.put_policy_version(bundle)
    return store.record_activation(
        bundle.version, action=action, actor=who, reason=text, exceptions=check.exceptions
    )


def stored_bundle(store: Store, version: str) -> PolicyBundle:
    """A kept version's bundle; its text must still hash to its version."""
    kept = store.get_policy_version(version)
    if kept is None:
        raise PolicyError(f"policy version {version[:12]} is not kept in the store")
    try:
        bundle = PolicyBundle(kept.modules, name=kept.name)
    except PolicyError as exc:
        raise StoreError(f"policy version {version[:12]} in the store is damaged") from exc
    if bundle.version != kept.version:
        raise StoreError(f"policy version {version[:12]} in the store does not match its hash")
    return bundle


def active_bundle(store: Store) -> PolicyBundle | None:
    """The active version's bundle, or ``None`` when no version was ever activated."""
    active = store.active_policy()
    return None if active is None else stored_bundle(store, active.version)


def resolve_version(store: Store, wanted: str | None) -> str:
    """The version a rollback goes to: ``wanted`` (a hash or a prefix of at least 8 hex digits)
    among the versions activated before, or the version active before the current one."""
    history = store.activations()
    if not history:
        raise PolicyError("no policy version was ever activated: nothing to roll back")
    current = history[-1].version
    earlier = [a.version for a in history if a.version != current]
    if wanted is None:
        previous = history[-1].previous_version
        if previous is None or previous == current:
            raise PolicyError("there is no earlier version to roll back to")
        return previous
    prefix = wanted.strip().lower()
    if len(prefix) < 8 or not set(prefix) <= _HEX:
        raise PolicyError("name the version by at least 8 hex digits of its hash")
    matches = sorted({v for v in earlier if v.startswith(prefix)})
    if prefix and current.startswith(prefix):
        raise PolicyError(f"policy {current[:12]} is already the active version")
    if len(matches) != 1:
        raise PolicyError(
            f"{'no' if not matches else 'more than one'} earlier activated version starts "
            f"with {prefix}"
        )
    return matches[0]
