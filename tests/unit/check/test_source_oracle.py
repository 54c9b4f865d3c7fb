"""gamboge.check.source_oracle on small hand-built rows: what a source row must become in the star,
how mismatches are classified, and the row-by-row comparison against a stand-in warehouse."""

import datetime
import json
import re
from decimal import Decimal

from gamboge.check import source_oracle
from gamboge.check.report import ERROR, WARNING, Finding, Report
from gamboge.check.source_oracle import SourceRows
from gamboge.common import schema
from gamboge.lake import storage

CREATED = datetime.datetime(2026, 11, 30, 9, 15, 0, 250000)
UPDATED = datetime.datetime(2026, 12, 1, 7, 55, 0)


def payment(payment_id, **changes):
    row = {
        "payment_id": payment_id,
        "created_at": CREATED,
        "last_updated": UPDATED,
        "transaction_id": 10 + payment_id,
        "counterparty_id": 3,
        "payment_amount": Decimal("125.50"),
        "currency_id": 1,
        "payment_type_id": 2,
        "paid": False,
        "payment_date": "2026-12-04",
        "company_ac_number": 11111111,
        "counterparty_ac_number": 22222222,
    }
    return dict(row, **changes)


def payment_version(payment_id, **changes):
    """The fact_payment row the star rules make of ``payment(payment_id, **changes)``, written out."""
    row = payment(payment_id, **changes)
    return (
        payment_id,
        datetime.date(2026, 11, 30),
        datetime.time(9, 15, 0, 250000),
        datetime.date(2026, 12, 1),
        datetime.time(7, 55),
        row["transaction_id"],
        3,
        row["payment_amount"],
        1,
        2,
        row["paid"],
        datetime.date(2026, 12, 4),
    )


def test_a_source_row_becomes_its_fact_with_timestamps_split_and_text_dates_parsed():
    fact = schema.star_table("fact_payment")
    assert source_oracle.expected_fact(fact, payment(1)) == payment_version(1)
    # No date in the text: None (the transform quarantines such a row, and classify says so).
    for text in ("04/12/2026", "2026-13-01", None):
        assert source_oracle.expected_fact(fact, payment(1, payment_date=text))[-1] is None


def test_a_sales_order_s_staff_becomes_the_sales_staff_of_its_fact():
    order = {
        "sales_order_id": 7,
        "created_at": CREATED,
        "last_updated": UPDATED,
        "design_id": 4,
        "staff_id": 19,
        "counterparty_id": 3,
        "units_sold": 1000,
        "unit_price": Decimal("2.49"),
        "currency_id": 1,
        "agreed_delivery_date": "2026-12-10",
        "agreed_payment_date": "2026-12-12",
        "agreed_delivery_location_id": 8,
    }
    fact = schema.star_table("fact_sales_order")
    values = dict(zip([c.name for c in fact.data_columns], source_oracle.expected_fact(fact, order)))
    assert values["sales_staff_id"] == 19
    assert values["agreed_delivery_date"] == datetime.date(2026, 12, 10)
    assert values["agreed_payment_date"] == datetime.date(2026, 12, 12)


ADDRESS = {
    "address_line_1": "6826 Herzog Via",
    "address_line_2": None,
    "district": "Avon",
    "city": "New Patienceburgh",
    "postal_code": "28441",
    "country": "Turkey",
    "phone": "1803 637401",
}


def test_dimensions_are_their_own_row_joined_to_their_lookups():
    source = {
        "staff": SourceRows(
            {
                5: {
                    "staff_id": 5,
                    "first_name": "Jeremie",
                    "last_name": "Franey",
                    "department_id": 2,
                    "email_address": "jeremie.franey@terrifictotes.com",
                },
                6: {"staff_id": 6, "first_name": "A", "last_name": "B", "department_id": 99, "email_address": "a@b"},
            },
            {},
            [],
        ),
        "department": SourceRows(
            {2: {"department_id": 2, "department_name": "Purchasing", "location": "Manchester"}}, {}, []
        ),
        "address": SourceRows({8: dict(ADDRESS, address_id=8)}, {}, []),
        "counterparty": SourceRows(
            {3: {"counterparty_id": 3, "counterparty_legal_name": "Fahey and Sons", "legal_address_id": 8}}, {}, []
        ),
        "currency": SourceRows(
            {1: {"currency_id": 1, "currency_code": "GBP"}, 2: {"currency_id": 2, "currency_code": "XYZ"}}, {}, []
        ),
    }
    expected = source_oracle.expected_dimensions(source)
    assert set(expected) == {d.name for d in schema.DIMENSIONS} - {"dim_date"}
    assert expected["dim_staff"][5] == (
        (5, "Jeremie", "Franey", "Purchasing", "Manchester", "jeremie.franey@terrifictotes.com"),
        [("staff", 5), ("department", 2)],
    )
    assert expected["dim_staff"][6][0][3:5] == (None, None)  # a department that is gone: no name, no location
    assert expected["dim_location"][8] == ((8, *ADDRESS.values()), [("address", 8)])
    assert expected["dim_counterparty"][3] == (
        (3, "Fahey and Sons", *ADDRESS.values()),
        [("counterparty", 3), ("address", 8)],
    )
    assert expected["dim_currency"][1][0] == (1, "GBP", "Pound Sterling")
    assert expected["dim_currency"][2][0] == (2, "XYZ", "XYZ")  # no ISO name: the code stands in
    assert expected["dim_design"] == {} and expected["dim_transaction"] == {}  # tables not read


def test_mismatches_are_errors_unless_not_landed_yet_or_quarantined():
    source = {
        "staff": SourceRows({}, {5: source_oracle.NOT_INGESTED}, []),
        "department": SourceRows({}, {2: source_oracle.CHANGED_SINCE_INGEST}, []),
    }
    keys = {
        1: [("staff", 1), ("department", 1)],  # the pipeline had it and lost it
        4: [("staff", 4), ("department", 1)],
        5: [("staff", 5), ("department", 1)],  # its table has no ingest state yet
        6: [("staff", 6), ("department", 2)],  # its department changed after the last ingest
        7: [("staff", 7), ("department", 2)],  # quarantined wins over not landed
    }
    report = Report()
    source_oracle.classify(
        report, "dim_staff", "source = warehouse", "missing or different", keys, source, {("staff", 7)}
    )
    assert report.findings == [
        Finding(ERROR, "dim_staff", "source = warehouse", "2 row(s) missing or different: 1, 4"),
        Finding(
            WARNING,
            "dim_staff",
            "source = warehouse",
            "1 row(s) not landed yet: changed since the last ingest's snapshot: 6",
        ),
        Finding(
            WARNING,
            "dim_staff",
            "source = warehouse",
            "1 row(s) not landed yet: table not ingested yet: 5",
        ),
        Finding(
            WARNING,
            "dim_staff",
            "source = warehouse",
            "1 row(s) quarantined by the transform (see processed/_rejects): 7",
        ),
    ]


class StandInWarehouse:
    """Answers compare_rows' one query shape, SELECT <columns> FROM "<table>", from rows in memory."""

    def __init__(self, tables):
        self.tables = tables

    def execute(self, statement):
        (table,) = re.findall(r'FROM "?(\w+)"?$', statement)
        return iter(self.tables.get(table, []))


def test_compare_rows_finds_missing_versions_and_rows_deleted_in_the_source():
    source = {
        "payment": SourceRows(
            {1: payment(1), 2: payment(2, paid=True), 3: payment(3)}, {3: source_oracle.CHANGED_SINCE_INGEST}, []
        ),
        "currency": SourceRows({1: {"currency_id": 1, "currency_code": "EUR"}}, {}, []),
    }
    warehouse = StandInWarehouse(
        {
            # payment 2's current version (paid) is missing, 3 is not landed yet, 9 is gone from the source
            "fact_payment": [payment_version(1), payment_version(2), payment_version(9)],
            "dim_currency": [(1, "EUR", "Euro"), (4, "USD", "US Dollar")],
        }
    )
    report = Report()
    source_oracle.compare_rows(report, warehouse, source, rejected=set())
    assert report.findings == [
        Finding(ERROR, "fact_payment", "source = warehouse", "1 row(s) current version missing from the warehouse: 2"),
        Finding(
            WARNING,
            "fact_payment",
            "source = warehouse",
            "1 row(s) not landed yet: changed since the last ingest's snapshot: 3",
        ),
        Finding(WARNING, "fact_payment", "deleted in source", "1 id(s) no longer in ToteSys: 9"),
        Finding(WARNING, "dim_currency", "deleted in source", "1 id(s) no longer in ToteSys: 4"),
    ]
    assert report.counts["fact_payment"] == {"source": 3}
    assert report.counts["dim_currency"] == {"source": 1}
    assert report.counts["fact_sales_order"] == {}  # its source table was not read: not compared
    assert report.counts["dim_staff"] == {"source": 0}


def test_quarantined_ids_are_read_from_the_rejects_the_processed_manifests_name(tmp_path):
    rejects_uri = "file://" + str(tmp_path / "processed" / "_rejects" / "batch=1")
    lines = [
        {"table": "currency", "record": json.dumps({"currency_id": "3", "currency_code": "GBPX"})},
        {"table": "payment", "record": json.dumps({"payment_id": 12})},
        {"table": "payment", "record": "{not json"},  # names no id
        {"table": "payment", "record": json.dumps({"payment_id": "twelve"})},
    ]
    storage.write_text(storage.join(rejects_uri, "part-0.json"), "".join(json.dumps(x) + "\n" for x in lines))
    storage.write_text(storage.join(rejects_uri, "_SUCCESS"), "")
    assert source_oracle.rejected_ids([rejects_uri]) == {("currency", 3), ("payment", 12)}
