"""Package discovery for the repository layout.

`adapters/`, `keys/`, `policies/` and `examples/` sit at the top of the repository, as the design
card lays them out, but install as `gateway.adapters`, `gateway.keys`, `gateway.policies` and
`gateway.examples`. A top-level `adapters` or `keys` import name would clash with other
distributions that ship one; nesting them under `gateway` cannot (docs/adr/0001-package-layout.md).
"""

from setuptools import find_packages, setup

MAPPED = {
    "gateway.adapters": "adapters",
    "gateway.keys": "keys",
    "gateway.policies": "policies",
    "gateway.examples": "examples",
}

packages = find_packages(include=["gateway", "gateway.*"])
for package, directory in MAPPED.items():
    packages.append(package)
    packages.extend(f"{package}.{sub}" for sub in find_packages(directory))

setup(packages=packages, package_dir={"gateway": "gateway", **MAPPED})
