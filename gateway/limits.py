"""Every bound the gateway enforces, in one frozen object.

Nothing here is read from the environment at import time; :class:`gateway.settings.Settings`
carries a ``Limits`` and tests build their own.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """Hard limits. Defaults suit a large exporter's nightly run on a small server."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_batch_size: int = Field(default=250, ge=1, le=100_000)
    # Records read, version-checked and decided together between the source and the outbox.
    chunk_records: int = Field(default=4096, ge=1, le=1_000_000)
    max_field_chars: int = Field(default=1024, ge=16, le=65_536)
    max_row_bytes: int = Field(default=1_048_576, ge=1024)
    max_line_items: int = Field(default=1000, ge=0)
    max_attachments_per_submission: int = Field(default=10_000, ge=1, le=1_000_000)
    max_body_bytes: int = Field(default=16 * 1_048_576, ge=1024)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    read_timeout_s: float = Field(default=30.0, gt=0, le=600)
    write_timeout_s: float = Field(default=30.0, gt=0, le=600)
    pool_timeout_s: float = Field(default=5.0, gt=0, le=120)
    policy_timeout_s: float = Field(default=10.0, gt=0, le=600)
