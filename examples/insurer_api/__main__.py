"""``python -m gateway.examples.insurer_api --config insurer.json [--host H] [--port P]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from gateway.errors import GatewayError
from gateway.examples.insurer_api.app import create_app
from gateway.examples.insurer_api.config import load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gateway.examples.insurer_api",
        description="Run the reference insurer attachment API.",
    )
    parser.add_argument("--config", type=Path, required=True, help="insurer JSON configuration")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8400)
    args = parser.parse_args(argv)
    try:
        app = create_app(load_config(args.config))
    except GatewayError as exc:
        print(exc.diagnostics(), file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
