"""The push webhook's body and answer: schema, strict reading into pipeline items, the account.

:func:`read_push` is the CPU-bound part of a push that needs no store: strict JSON, the schema,
then each record through the webhook mapping (a bad record becomes a quarantined item, as in
every source). The service runs it on a worker thread, beside the replay claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.account import SyncResult
from gateway.errors import GatewayError
from gateway.ingest import SourceItem, to_item
from gateway.limits import Limits
from gateway.service.body import BodyError, parse_body


class PushBody(BaseModel):
    """A webhook push: records as the configured webhook mapping's source columns (strings)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    source: str = Field(default="webhook", pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    records: list[dict[str, str | None]] = Field(min_length=1, max_length=100_000)


class PushAccount(BaseModel):
    """read = attached + withheld + quarantined + pending + unchanged (docs/reliability.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    run_id: str
    read: int
    attached: int
    withheld: dict[str, int]
    quarantined: int
    pending: int
    unchanged: int
    submissions: list[str]


class PushRefused(GatewayError):
    """A body that is not a valid record push (the service answers 422). The message names the
    reason only (``schema`` for a schema violation); it is logged, never sent."""


@dataclass(frozen=True, slots=True)
class ReadPush:
    """A push read into the pipeline's items, in input order (rows numbered from 1)."""

    source: str
    items: list[SourceItem]


def read_push(raw: bytes, mapping: Any, limits: Limits) -> ReadPush:
    """Parse ``raw`` strictly, check it against :class:`PushBody` and map every record with
    ``mapping`` (a :class:`gateway.ingest.ColumnMapping`) under ``limits``; or
    :class:`PushRefused`."""
    try:
        body = PushBody.model_validate(parse_body(raw))
    except BodyError as exc:
        raise PushRefused(str(exc)) from exc
    except ValidationError as exc:
        raise PushRefused("schema") from exc
    source = body.source
    items = [
        to_item(record, mapping, source=source, row=row, limits=limits)
        for row, record in enumerate(body.records, 1)
    ]
    return ReadPush(source, items)


def push_account(result: SyncResult, source: str) -> PushAccount:
    """The answer to a processed push: its source's account and the run's submissions."""
    acc = result.sources[source]
    return PushAccount(
        run_id=result.run_id,
        read=acc.read,
        attached=acc.attached,
        withheld=dict(acc.withheld),
        quarantined=acc.quarantined,
        pending=acc.pending,
        unchanged=acc.unchanged,
        submissions=result.submissions,
    )
