"""Examples: sample ERP exports, configurations and the reference insurer attachment API."""
