# METADATA
# title: Default redaction of export records
# description: >-
#   For every export record: attach it to the insurer, withhold it or quarantine it,
#   and for an attached record name the action for each field that may leave.
#   Allowlist semantics: a field without an action never leaves the exporter.
#   Tuned for a short-term export credit insurer (K-SURE style). See README.md.
# custom:
#   entrypoint: data.redaction.export_record.decisions
#   reasons:
#     record.incomplete: quarantine, a field every decision depends on is missing
#     buyer.domestic: quarantine, the buyer is in the exporter's own country
#     currency.not_banded: withhold, no amount bands exist for the currency
#     payment.cash_in_advance: withhold, paid by transfer at or before shipment
#     tenor.beyond_short_term: withhold, credit period longer than the short-term limit
package redaction.export_record

import rego.v1

# The exporter's own country. A sale to a buyer there is not an export.
exporter_country := "KR"

# Longest credit period (shipment to maturity) short-term cover accepts, in days.
max_tenor_days := 720

# Fields every decision below reads; a record without them is quarantined.
required_fields := [
	"invoice_number",
	"invoice_date",
	"shipment_date",
	"maturity_date",
	"buyer.name",
	"buyer.country",
	"currency",
	"amount",
	"payment_method",
	"hs_code",
]

# Amount bands per currency: the insurer learns the band, never the amount.
# Edges are decimal strings in the currency's major unit, ascending; roughly the
# same bands in every currency at ordinary exchange rates.
band_edges := {
	"USD": ["0", "10000", "50000", "100000", "500000", "1000000"],
	"EUR": ["0", "10000", "50000", "100000", "500000", "1000000"],
	"GBP": ["0", "8000", "40000", "80000", "400000", "800000"],
	"JPY": ["0", "1500000", "7500000", "15000000", "75000000", "150000000"],
	"KRW": ["0", "13000000", "65000000", "130000000", "650000000", "1300000000"],
	"CNY": ["0", "70000", "350000", "700000", "3500000", "7000000"],
}

# The actions this policy uses, by name. Types and parameters: README.md.
operators := {
	"keep": {"type": "keep"},
	"drop": {"type": "drop"},
	"month": {"type": "month"},
	"hs4": {"type": "truncate", "digits": 4},
	"buyer_token": {"type": "pseudonymise", "domain": "buyer"},
	"invoice_token": {"type": "pseudonymise", "domain": "invoice"},
	"amount_band": {"type": "band", "edges": band_edges},
	"exposure": {"type": "encrypt"},
}

# The only parts of a record this policy reads. The gateway shows it nothing else: the
# "values" fields as they are, the "present" fields as true (or null when the record has none).
# Records that look the same here get the same decision, so the gateway decides each distinct
# projection once and reuses the answer (policies/README.md: Projection).
projection := {
	"values": ["buyer.country", "currency", "payment_method", "credit_days", "origin"],
	"present": [
		"invoice_number", "invoice_date", "shipment_date", "maturity_date", "buyer.name",
		"amount", "hs_code", "tenor_days", "incoterms", "buyer.insurer_code",
	],
}

# Exposures are summed per buyer token x country x currency x maturity month;
# buckets with fewer than k records are merged or suppressed.
settings := {"k": 3, "bucket": ["buyer", "country", "currency", "maturity_month"]}

# Sent for every attached record.
attach_fields := {
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
}

# Sent as they are when the record has them. `origin` tells the insurer whether the shipment was
# notified by the ERP, matched to its customs declaration, or attached from customs alone.
kept_when_present := ["tenor_days", "incoterms", "buyer.insurer_code", "origin"]

# The entrypoint: one decision per input record, keyed by its index as a string.
decisions := {key: d |
	some i, record in input.records
	key := format_int(i, 10)
	d := decision(record)
}

decision(record) := {"outcome": "quarantine", "reason": reason} if {
	reason := quarantine_reason(record)
} else := {"outcome": "withhold", "reason": reason} if {
	reason := withhold_reason(record)
} else := {"outcome": "attach", "fields": fields(record)}

quarantine_reason(record) := "record.incomplete" if {
	some name in required_fields
	object.get(record, name, null) == null
} else := "buyer.domestic" if {
	record["buyer.country"] == exporter_country
}

withhold_reason(record) := "currency.not_banded" if {
	not band_edges[record.currency]
} else := "payment.cash_in_advance" if {
	record.payment_method == "TT"
	record.credit_days <= 0
} else := "tenor.beyond_short_term" if {
	record.credit_days > max_tenor_days
}

fields(record) := object.union(attach_fields, present) if {
	present := {name: keep |
		some name in kept_when_present
		object.get(record, name, null) != null
		keep := ["keep"]
	}
}
