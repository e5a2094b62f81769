"""The data-sovereignty dashboard that ``gateway serve`` serves under ``/ui`` (docs/dashboard.md).

Server-rendered pages for compliance officers, auditors and the exporter's IT: what was read,
what left for the insurer and what stayed, the disclosure ledger, exposure as the insurer sees
it and as the exporter knows it, and the redaction policy.
:func:`gateway.dashboard.app.mount_dashboard` adds it to the service;
:class:`gateway.dashboard.context.DashboardContext` is what every page is given. Nothing is
imported here, so the service and the dashboard can import each other's modules.
"""
