"""Package layout (docs/adr/0001-package-layout.md).

``adapters/``, ``keys/``, ``policies/`` and ``examples/`` install as ``gateway.*`` subpackages,
never as top-level ``adapters`` or ``keys``; the shipped data (Rego, mappings, sample exports)
resolves through ``importlib.resources``. The "installed view" checks run in a subprocess whose
working directory is not the checkout, so the repository root is not on ``sys.path``.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

import gateway

ROOT = Path(gateway.__file__).resolve().parent.parent
MAPPED = {
    "gateway": "gateway",
    "gateway.adapters": "adapters",
    "gateway.keys": "keys",
    "gateway.policies": "policies",
    "gateway.examples": "examples",
}
DISTRIBUTION = "export-credit-gateway"

_INSTALLED_VIEW = """
import importlib.metadata as md, importlib.util as iu, json, sys
spec = {n: (lambda s: s.origin if s else None)(iu.find_spec(n)) for n in ("adapters", "keys")}
dist = md.distribution(sys.argv[1])
owned = sorted(n for n, d in md.packages_distributions().items() if sys.argv[1] in d)
print(json.dumps({"spec": spec, "top_level": (dist.read_text("top_level.txt") or "").split(),
                  "owned": owned, "gateway_keys": iu.find_spec("gateway.keys").origin}))
"""


@pytest.fixture(scope="module")
def installed_view(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    outside = tmp_path_factory.mktemp("outside-checkout")
    done = subprocess.run(
        [sys.executable, "-I", "-c", _INSTALLED_VIEW, DISTRIBUTION],
        cwd=outside, capture_output=True, text=True, timeout=60, check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("name", ["adapters", "keys"])
def test_no_top_level_generic_package_comes_from_this_project(
    installed_view: dict[str, object], name: str
) -> None:
    origin = installed_view["spec"][name]  # type: ignore[index]
    assert origin is None or not Path(origin).resolve().is_relative_to(ROOT)


def test_the_distribution_declares_only_the_gateway_top_level(
    installed_view: dict[str, object],
) -> None:
    assert installed_view["top_level"] == ["gateway"]
    assert installed_view["owned"] == ["gateway"]


def test_the_installed_gateway_keys_is_the_checkout_keys_directory(
    installed_view: dict[str, object],
) -> None:
    origin = Path(str(installed_view["gateway_keys"])).resolve()
    assert origin == ROOT / "keys" / "__init__.py"


@pytest.mark.parametrize(("package", "directory"), sorted(MAPPED.items()))
def test_each_mapped_directory_imports_under_the_gateway_namespace(
    package: str, directory: str
) -> None:
    module = importlib.import_module(package)
    assert Path(module.__file__ or "").resolve() == ROOT / directory / "__init__.py"


@pytest.mark.parametrize("directory", sorted(MAPPED.values()))
def test_every_python_directory_is_a_regular_package(directory: str) -> None:
    """No namespace packages: a forgotten ``__init__.py`` would drop code from the wheel."""
    missing = sorted(
        str(folder.relative_to(ROOT))
        for folder in {p.parent for p in (ROOT / directory).rglob("*.py")}
        if "__pycache__" not in folder.parts and not (folder / "__init__.py").is_file()
    )
    assert missing == []


@pytest.mark.parametrize(
    ("package", "parts"),
    [
        ("gateway.policies", ("redaction", "export_record.rego")),
        ("gateway.policies", ("redaction", "export_record_test.rego")),
        ("gateway.policies", ("input.schema.json",)),
        ("gateway.examples", ("erp", "sample_export.csv")),
        ("gateway.examples", ("erp", "malformed_export.csv")),
        ("gateway.adapters", ("mappings", "generic.toml")),
        ("gateway.adapters", ("mappings", "sap_billing.toml")),
        ("gateway.adapters", ("mappings", "canonical.toml")),
    ],
)
def test_shipped_data_resolves_through_importlib_resources(
    package: str, parts: tuple[str, ...]
) -> None:
    resource = resources.files(package).joinpath(*parts)
    assert resource.is_file()
    assert resource.read_bytes().strip()


def test_the_default_policy_and_sample_have_the_expected_shape() -> None:
    rego = resources.files("gateway.policies").joinpath("redaction", "export_record.rego")
    assert "package redaction.export_record" in rego.read_text(encoding="utf-8")
    sample = resources.files("gateway.examples").joinpath("erp", "sample_export.csv")
    header = sample.read_text(encoding="utf-8").splitlines()[0].split(",")
    mapping = tomllib.loads(
        resources.files("gateway.adapters").joinpath("mappings", "generic.toml").read_text("utf-8")
    )
    assert mapping["name"] == "generic"
    assert {mapping["fields"]["invoice_number"], mapping["fields"]["buyer"]["name"]} <= set(header)


def test_every_data_file_is_covered_by_package_data() -> None:
    """Data files travel in wheels only if a package-data pattern names them."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["*"]
    uncovered = sorted(
        str(path.relative_to(ROOT))
        for directory in MAPPED.values()
        for path in (ROOT / directory).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".py", ".pyc"}
        and not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns)
    )
    assert uncovered == []
