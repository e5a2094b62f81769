# METADATA
# title: Tests of the default redaction policy
# description: >-
#   test_success_* cases must be attached with exactly the expected fields;
#   test_fail_* cases must be withheld or quarantined with the expected reason.
#   Tests call decision() with a record rather than overriding input, which
#   keeps them runnable by the embedded engine as well as by opa test.
package redaction.export_record_test

import rego.v1

import data.redaction.export_record

# A complete, unremarkable record, as ExportRecord.policy_input() produces it.
record := {
	"source_ref": "sales.csv:2",
	"invoice_number": "INV-2024-0001",
	"invoice_date": "2024-03-01",
	"shipment_date": "2024-03-05",
	"declaration_number": "12345-24-123456X",
	"buyer.name": "Example Trading GmbH",
	"buyer.country": "DE",
	"buyer.registration_id": "HRB 12345",
	"buyer.insurer_code": null,
	"buyer.address": "1 Example Street, Hamburg",
	"currency": "EUR",
	"amount": "125000.00",
	"amount_minor": 12500000,
	"payment_method": "OA",
	"due_date": "2024-06-03",
	"tenor_days": 90,
	"maturity_date": "2024-06-03",
	"credit_days": 90,
	"incoterms": "FOB",
	"hs_code": "85423100",
	"description": "Memory chips",
	"line_items": [{"description": "DRAM", "quantity": "1000", "unit_price": "125.00"}],
}

changed(changes) := object.union(record, changes)

expected_fields := {
	"invoice_number": ["invoice_token"],
	"invoice_date": ["month"],
	"shipment_date": ["keep"],
	"maturity_date": ["keep"],
	"buyer.name": ["buyer_token"],
	"buyer.country": ["keep"],
	"currency": ["keep"],
	"amount": ["amount_band", "exposure"],
	"payment_method": ["keep"],
	"hs_code": ["hs4"],
	"tenor_days": ["keep"],
	"incoterms": ["keep"],
}

test_success_customs_origin_is_disclosed if {
	d := export_record.decision(object.union(record, {"origin": "customs"}))
	d.outcome == "attach"
	d.fields.origin == ["keep"]
}

test_success_attach_names_exactly_the_allowlisted_fields if {
	export_record.decision(record) == {"outcome": "attach", "fields": expected_fields}
}

secret_fields := [
	"source_ref", "declaration_number", "buyer.registration_id", "buyer.address",
	"description", "line_items", "amount_minor", "due_date",
]

test_success_secret_fields_are_never_named if {
	fields := export_record.decision(changed({"buyer.insurer_code": "KS-000123"})).fields
	named := {name | some name in secret_fields; fields[name]}
	count(named) == 0
}

test_success_insurer_code_is_kept_when_present if {
	d := export_record.decision(changed({"buyer.insurer_code": "KS-000123"}))
	d.outcome == "attach"
	d.fields["buyer.insurer_code"] == ["keep"]
}

test_success_absent_optional_fields_are_not_named if {
	d := export_record.decision(changed({"tenor_days": null, "incoterms": null}))
	d.outcome == "attach"
	not d.fields.tenor_days
	not d.fields.incoterms
	d.fields.maturity_date == ["keep"]
}

test_success_transfer_with_credit_period_is_attached if {
	d := export_record.decision(changed({"payment_method": "TT"}))
	d.outcome == "attach"
}

test_success_tenor_of_exactly_720_days_is_attached if {
	d := export_record.decision(changed({"maturity_date": "2026-02-23", "credit_days": 720, "tenor_days": null}))
	d.outcome == "attach"
}

test_success_every_banded_currency_is_attached if {
	every currency in ["USD", "EUR", "GBP", "JPY", "KRW", "CNY"] {
		export_record.decision(changed({"currency": currency})).outcome == "attach"
	}
}

test_success_every_named_operator_is_defined if {
	named := {name | some names in export_record.decision(record).fields; some name in names}
	count(named) > 0
	every name in named {
		export_record.operators[name]
	}
}

test_success_operators_use_only_contract_types if {
	types := {"keep", "drop", "pseudonymise", "band", "truncate", "month", "encrypt"}
	every _, spec in export_record.operators {
		spec.type in types
	}
}

test_success_band_edges_ascend if {
	every _, edges in export_record.band_edges {
		ascending(edges)
	}
}

ascending(edges) if {
	count(edges) >= 2
	every i in numbers.range(1, count(edges) - 1) {
		to_number(edges[i - 1]) < to_number(edges[i])
	}
}

test_success_band_edges_check_detects_disorder if {
	not ascending(["0", "50000", "10000"])
	not ascending(["0"])
}

test_success_settings if {
	export_record.settings == {"k": 3, "bucket": ["buyer", "country", "currency", "maturity_month"]}
}

test_fail_domestic_buyer_is_quarantined if {
	export_record.decision(changed({"buyer.country": "KR"})) == {"outcome": "quarantine", "reason": "buyer.domestic"}
}

test_fail_incomplete_record_is_quarantined if {
	export_record.decision(object.remove(record, ["buyer.country"])) == {"outcome": "quarantine", "reason": "record.incomplete"}
}

test_fail_null_required_field_is_quarantined if {
	export_record.decision(changed({"amount": null})).reason == "record.incomplete"
}

test_fail_cash_in_advance_is_withheld if {
	d := export_record.decision(changed({"payment_method": "TT", "maturity_date": "2024-03-05", "credit_days": 0, "tenor_days": 0}))
	d == {"outcome": "withhold", "reason": "payment.cash_in_advance"}
}

test_fail_tenor_beyond_720_days_is_withheld if {
	d := export_record.decision(changed({"maturity_date": "2026-02-24", "credit_days": 721, "tenor_days": null}))
	d == {"outcome": "withhold", "reason": "tenor.beyond_short_term"}
}

test_fail_currency_without_bands_is_withheld if {
	d := export_record.decision(changed({"currency": "CHF"}))
	d == {"outcome": "withhold", "reason": "currency.not_banded"}
}

test_fail_quarantine_takes_precedence_over_withhold if {
	d := export_record.decision(changed({"buyer.country": "KR", "currency": "CHF"}))
	d.reason == "buyer.domestic"
}
