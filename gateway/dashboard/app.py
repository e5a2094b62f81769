"""Mounting the dashboard on the service's FastAPI app: sign-in, the policy page, the read
pages and the static files, all under ``/ui``.

Static files (the style sheets, the policy editor's script) are served from the package's
``static`` directory, found through the import system, so the dashboard works offline and from
an installed wheel; only style sheets, scripts and icons are served from there, never the
package's own Python files. ``/ui`` pages carry
:data:`gateway.dashboard.render.DASHBOARD_CSP`.
"""

from __future__ import annotations

import os
from typing import Final

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from gateway.auth.web import auth_router
from gateway.dashboard.context import DashboardContext
from gateway.dashboard.pages import pages_router
from gateway.dashboard.policy_page import policy_router

STATIC_PATH: Final = "/ui/static"
ASSET_SUFFIXES: Final = (".css", ".js", ".svg")


class Assets(StaticFiles):
    """Static files limited to :data:`ASSET_SUFFIXES` (anything else is not found)."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if not path.endswith(ASSET_SUFFIXES):
            return "", None
        return super().lookup_path(path)


def mount_dashboard(app: FastAPI, ctx: DashboardContext) -> None:
    """Add every dashboard route to ``app``."""
    app.include_router(auth_router(ctx))
    app.include_router(policy_router(ctx))
    app.include_router(pages_router(ctx))
    app.mount(
        STATIC_PATH,
        Assets(packages=[("gateway.dashboard", "static")], follow_symlink=False),
        name="dashboard-static",
    )
