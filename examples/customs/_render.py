"""Write the sample declarations as a broker's CSV download (Korean or English headers), a JSON
array, and saved UNI-PASS export-performance answers (XML)."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final
from xml.sax.saxutils import escape

from gateway.examples.customs._declarations import EXPORTER_NAME, Declaration, new_bl

KR_COLUMNS: Final = (
    "신고번호", "수리일자", "선적일자", "선적여부", "통관고유부호", "해외거래처상호",
    "해외거래처부호", "목적국", "세번부호", "결제방법", "결제통화", "결제금액", "FOB원화",
    "송품장번호", "B/L번호",
)  # fmt: skip
EN_COLUMNS: Final = (
    "declaration_no", "acceptance_date", "loading_date", "shipped", "exporter_id", "buyer_name",
    "buyer_code", "destination_country", "hs_code", "payment_method", "currency", "amount",
    "fob_krw", "invoice_no", "bl_no",
)  # fmt: skip
ANSWER: Final = "expDclrNoPrExpFfmnBrkdQryRtnVo"
VESSELS: Final = ("HYUNDAI PRIDE", "MAERSK KOWLOON", "ONE HARMONY")


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.{0 if currency in ('KRW', 'JPY') else 2}f}"


def _values(d: Declaration, korean: bool) -> list[str]:
    number = f"{d.number[:5]}-{d.number[5:7]}-{d.number[7:]}" if korean else d.number
    hs = f"{d.hs_code[:4]}.{d.hs_code[4:6]}-{d.hs_code[6:]}" if korean else d.hs_code
    amount = _money(d.amount, d.currency)
    return [
        number,
        d.accepted.isoformat(),
        d.loading.isoformat() if d.loading else "",
        "Y" if d.shipped else "N",
        d.exporter_id,
        d.buyer_name,
        d.buyer_code,
        d.country,
        hs,
        d.payment,
        d.currency,
        amount if korean else amount.replace(",", ""),
        f"{d.fob_krw:,}" if korean else str(d.fob_krw),
        d.invoice,
        d.bl_number or "",
    ]


def _csv(header: Sequence[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def korean_csv(declarations: list[Declaration]) -> bytes:
    return _csv(KR_COLUMNS, [_values(d, True) for d in declarations]).encode("cp949")


def english_csv(declarations: list[Declaration]) -> bytes:
    return _csv(EN_COLUMNS, [_values(d, False) for d in declarations]).encode("utf-8")


def _object(d: Declaration) -> str:
    obj: dict[str, Any] = {
        "declaration_number": d.number,
        "acceptance_date": d.accepted.isoformat(),
        "loading_date": d.loading.isoformat() if d.loading else None,
        "shipped": d.shipped,
        "exporter_id": d.exporter_id,
        "buyer_name": d.buyer_name,
        "buyer_code": d.buyer_code,
        "destination_country": d.country,
        "hs_code": d.hs_code,
        "payment_method": {"LS": "LC", "LU": "LC"}.get(d.payment, d.payment),
        "currency": d.currency,
        "amount": "@AMOUNT@",
        "fob_krw": d.fob_krw,
        "invoice_number": d.invoice,
        "bl_number": d.bl_number,
    }
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    return text.replace('"@AMOUNT@"', format(d.amount, "f"))


def json_array(declarations: list[Declaration]) -> bytes:
    """A JSON array, amounts as JSON numbers written digit for digit."""
    body = ",\n".join(_object(d) for d in declarations)
    return f"[\n{body}\n]\n".encode()


def _elements(indent: str, values: Sequence[tuple[str, str]]) -> str:
    return "".join(f"{indent}<{tag}>{escape(text)}</{tag}>\n" for tag, text in values)


def _answer(d: Declaration, departures: list[tuple[str, date]], vessel: str) -> str:
    weight = 180 + d.fob_krw % 9000
    summary = [
        ("exppnConm", EXPORTER_NAME), ("mnurConm", EXPORTER_NAME), ("expDclrNo", d.number),
        ("acptDt", d.accepted.strftime("%Y%m%d")),
        ("loadDtyTmlm", (d.accepted + timedelta(days=30)).strftime("%Y%m%d")),
        ("shpmCmplYn", "Y"), ("sanm", vessel), ("csclWght", f"{weight}.0"),
        ("csclPckUt", "CT"), ("csclPckGcnt", "24"), ("shpmWght", str(weight)),
        ("shpmPckUt", "CT"), ("shpmPckGcnt", "24"),
    ]  # fmt: skip
    out = [f"  <{ANSWER}>\n    <tCnt>{len(departures)}</tCnt>\n    <ntceInfo></ntceInfo>\n"]
    out.append("    <expDclrNoPrExpFfmnBrkdQryRsltVo>\n")
    out.append(_elements("      ", summary))
    out.append("    </expDclrNoPrExpFfmnBrkdQryRsltVo>\n")
    share = weight // len(departures)
    for bl, left in departures:
        detail = [
            ("blNo", bl), ("tkofDt", left.strftime("%Y%m%d")), ("shpmcmplYn", "Y"),
            ("shpmPckUt", "CT"), ("shpmPckGcnt", str(24 // len(departures))),
            ("shpmWght", str(share)),
        ]  # fmt: skip
        out.append("    <expDclrNoPrExpFfmnBrkdDtlQryRsltVo>\n")
        out.append(_elements("      ", detail))
        out.append("    </expDclrNoPrExpFfmnBrkdDtlQryRsltVo>\n")
    out.append(f"  </{ANSWER}>\n")
    return "".join(out)


def unipass_xml(declarations: list[Declaration]) -> bytes:
    """Saved lookup answers for three declarations: the unshipped one (shipped since), the
    forgotten one, and the first split part (loaded in two departures)."""
    rng = random.Random(2604)  # noqa: S311 - sample data, not security
    unshipped = next(d for d in declarations if d.role == "unshipped")
    forgotten = next(d for d in declarations if d.role == "forgotten")
    split = next(d for d in declarations if d.role == "split")
    assert forgotten.bl_number and forgotten.loading and split.bl_number and split.loading
    answers = [
        _answer(unshipped, [(new_bl(rng), unshipped.accepted + timedelta(days=1))], VESSELS[0]),
        _answer(forgotten, [(forgotten.bl_number, forgotten.loading)], VESSELS[1]),
        _answer(
            split,
            [(split.bl_number, split.loading), (new_bl(rng), split.loading + timedelta(days=2))],
            VESSELS[2],
        ),
    ]
    body = "".join(answers)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<lookups>\n{body}</lookups>\n'.encode()
