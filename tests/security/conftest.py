"""Fixtures shared with the integration tests: the reference insurer and the delivery harness."""

from tests.integration.conftest import (  # noqa: F401 - fixtures
    exporter_a_key,
    exporter_b_key,
    insurer_config,
    insurer_paillier_key,
    insurer_server,
    receipt_key,
)
from tests.integration.delivery_harness import h, runtime  # noqa: F401 - fixtures
from tests.security.verify_kit import no_network, verify_target  # noqa: F401 - fixtures
