"""The cross-exporter aggregation hub (docs/hub.md).

Exporters send signed contributions whose bucket totals are Paillier-encrypted under the
insurer's public key; the hub adds ciphertexts per bucket without any private key and, once per
period, releases to the insurer only the buckets that at least ``k`` distinct exporters
contributed to (smaller buckets folded into per-country-and-currency remainders, or suppressed).

Exporter side: ``common_id`` (the buyer id all exporters share) and ``contribution`` (the
exporter-to-hub format). Hub side: ``settings`` (``hub.toml``), ``runtime`` (keys and tokens),
``store`` (durable SQLite state), ``operations`` (accept, release, push), ``service`` (the HTTP
shell), ``push`` (sending a release to the insurer) and ``setup`` (``gateway hub init``).
Insurer side: ``release`` (the hub-to-insurer format, built by the hub and verified by the
insurer with ``verify_release``).
"""
