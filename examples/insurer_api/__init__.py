"""The reference insurer attachment API: verifies signed submissions, stores each once, answers
with signed receipts and shows the exposure it can decrypt (only summed buckets).

Used by the demo and the tests; run it with ``python -m gateway.examples.insurer_api``.
"""

from gateway.examples.insurer_api.app import create_app
from gateway.examples.insurer_api.config import InsurerConfig, load_config
from gateway.examples.insurer_api.server import RunningServer, serve_in_thread

__all__ = ["InsurerConfig", "RunningServer", "create_app", "load_config", "serve_in_thread"]
