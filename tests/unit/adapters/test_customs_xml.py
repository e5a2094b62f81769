"""UnipassXmlSource: UNI-PASS export-performance answers in, statuses out; hostile XML refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway.adapters.customs import UnipassXmlSource
from gateway.adapters.customs.unipass_xml import StatusItem
from gateway.errors import SourceError
from gateway.ingest import Quarantined
from gateway.ingest.customs import DeclarationStatus

SUMMARY = """
  <expDclrNoPrExpFfmnBrkdQryRsltVo>
    <exppnConm>가온전자(주)</exppnConm>
    <expDclrNo>{number}</expDclrNo>
    <acptDt>{accepted}</acptDt>
    <loadDtyTmlm>20260305</loadDtyTmlm>
    <shpmCmplYn>{shipped}</shpmCmplYn>
    <sanm>HYUNDAI PRIDE</sanm>
  </expDclrNoPrExpFfmnBrkdQryRsltVo>"""
DETAIL = """
  <expDclrNoPrExpFfmnBrkdDtlQryRsltVo>
    <blNo>{bl}</blNo><tkofDt>{left}</tkofDt><shpmcmplYn>Y</shpmcmplYn>
  </expDclrNoPrExpFfmnBrkdDtlQryRsltVo>"""


def answer(
    number: str = "43017268362112",
    accepted: str = "20260203",
    shipped: str = "Y",
    departures: tuple[tuple[str, str], ...] = (("HDMU123456789", "20260204"),),
) -> str:
    details = "".join(DETAIL.format(bl=bl, left=left) for bl, left in departures)
    body = SUMMARY.format(number=number, accepted=accepted, shipped=shipped) + details
    return (
        f"<expDclrNoPrExpFfmnBrkdQryRtnVo><tCnt>{len(departures)}</tCnt><ntceInfo/>"
        f"{body}</expDclrNoPrExpFfmnBrkdQryRtnVo>"
    )


def write(tmp_path: Path, content: str, name: str = "status.xml") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def read(path: Path, **kwargs: int) -> list[StatusItem]:
    return list(UnipassXmlSource(path, **kwargs))


def test_one_answer_becomes_one_status(tmp_path: Path) -> None:
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + answer()
    (status,) = read(write(tmp_path, xml))
    assert status == DeclarationStatus(
        declaration_number="43017268362112",
        acceptance_date=date(2026, 2, 3),
        shipped=True,
        loading_date=date(2026, 2, 4),
        bl_numbers=("HDMU123456789",),
    )


def test_saved_answers_under_one_root_and_partial_shipments(tmp_path: Path) -> None:
    split = (("HLCU2", "20260209"), ("HDMU1", "20260205"))
    xml = "<lookups>" + answer() + answer("43017260000002", departures=split) + "</lookups>"
    first, second = read(write(tmp_path, xml))
    assert isinstance(first, DeclarationStatus) and isinstance(second, DeclarationStatus)
    assert second.loading_date == date(2026, 2, 5) and second.bl_numbers == ("HDMU1", "HLCU2")


def test_an_answer_by_bl_number(tmp_path: Path) -> None:
    item = (
        "<expDclrNoPrExpFfmnBrkdBlNoQryRsltVo><expDclrNo>43017268362112</expDclrNo>"
        "<acptDt>20260203</acptDt><shpmCmplYn>Y</shpmCmplYn><blNo>HDMU9</blNo>"
        "<tkofDt>20260206</tkofDt></expDclrNoPrExpFfmnBrkdBlNoQryRsltVo>"
    )
    xml = f"<expDclrNoPrExpFfmnBrkdQryRtnVo><tCnt>1</tCnt>{item}</expDclrNoPrExpFfmnBrkdQryRtnVo>"
    (status,) = read(write(tmp_path, xml))
    assert isinstance(status, DeclarationStatus) and status.bl_numbers == ("HDMU9",)
    assert status.loading_date == date(2026, 2, 6)


def test_no_result_and_bad_elements_are_quarantined_by_position(tmp_path: Path) -> None:
    empty = (
        "<expDclrNoPrExpFfmnBrkdQryRtnVo><tCnt>0</tCnt>"
        "<ntceInfo>[N00] 조회 결과가 없습니다 Zeta Corp</ntceInfo></expDclrNoPrExpFfmnBrkdQryRtnVo>"
    )
    bad_date = answer("43017260000003", accepted="Zeta-2026")
    xml = f"<lookups>{answer()}{empty}{bad_date}{answer(shipped='N', departures=())}</lookups>"
    good, nothing, bad, unshipped = read(write(tmp_path, xml))
    assert isinstance(good, DeclarationStatus) and isinstance(unshipped, DeclarationStatus)
    assert unshipped.shipped is False and unshipped.loading_date is None
    assert isinstance(nothing, Quarantined) and isinstance(bad, Quarantined)
    assert (nothing.row, nothing.field) == (2, "<answer>")
    assert nothing.reason == "the lookup returned no declaration (tCnt 0)"
    assert (bad.source, bad.row, bad.field) == ("status.xml", 3, "acceptance_date")
    assert bad.reason == "acceptance_date (element 'acptDt'): not a date (YYYYMMDD)"
    assert "Zeta" not in nothing.reason + bad.reason + repr(bad)


def test_the_sample_answer_file_reads_cleanly() -> None:
    from importlib import resources

    sample = Path(str(resources.files("gateway.examples.customs"))) / "unipass_export_status.xml"
    statuses = read(sample)
    assert len(statuses) == 3 and all(isinstance(s, DeclarationStatus) for s in statuses)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<expDclrNoPrExpFfmnBrkdQryRtnVo><ntceInfo>&lol9;</ntceInfo></expDclrNoPrExpFfmnBrkdQryRtnVo>
"""


def test_billion_laughs_entity_expansion_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="refused: DTDs and entity declarations"):
        read(write(tmp_path, BILLION_LAUGHS))


def test_external_entity_is_refused_and_the_file_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("43017269999999", encoding="utf-8")
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        + answer(number="&x;")
    )
    with pytest.raises(SourceError, match="refused") as info:
        read(write(tmp_path, xml))
    assert "43017269999999" not in str(info.value)
    external_dtd = f'<!DOCTYPE r SYSTEM "{secret.as_uri()}">\n' + answer()
    with pytest.raises(SourceError, match="refused"):
        read(write(tmp_path, external_dtd))


def test_oversized_files_are_refused_before_parsing(tmp_path: Path) -> None:
    xml = "<lookups>" + answer() * 50 + "</lookups>"
    path = write(tmp_path, xml)
    assert len(read(path)) == 50
    with pytest.raises(SourceError, match="larger than 4096 bytes, refused"):
        read(path, max_bytes=4096)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<lookups>" + answer(), r"not well-formed XML \(line 12\)"),  # where it ends
        ("<lookups><other/></lookups>", "not UNI-PASS export-performance answers"),
        ("<lookups/>", "not UNI-PASS export-performance answers"),
        ("", r"not well-formed XML"),
    ],
)
def test_malformed_or_foreign_xml_is_a_source_error(
    tmp_path: Path, xml: str, message: str
) -> None:
    with pytest.raises(SourceError, match=message):
        read(write(tmp_path, xml))
    with pytest.raises(SourceError, match="cannot be read"):
        read(tmp_path / "missing.xml")
