"""The star-schema rules, one pure function at a time (chispa, no files)."""

import datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from gamboge.common import schema
from gamboge.spark.schemas import star_schema
from gamboge.transform import star
from gamboge.transform.landing_reader import LANDING_RUN_ID, LINE_ORDER, validate
from gamboge.transform.spark_schemas import CORRUPT_RECORD, landing_read_schema

pytestmark = pytest.mark.spark


def _landing(spark, table_name, rows, run_id="20240101T000000000000Z-aaaaaa"):
    """Raw landing rows (every value a string, as the reader sees JSON) with lineage columns."""
    table = schema.source_table(table_name)
    full = [tuple(r.get(c) for c in table.column_names) + (None,) for r in rows]
    df = spark.createDataFrame(full, landing_read_schema(table))
    return df.withColumns({"_source_file": F.lit("file:///landing/x.jsonl"), LANDING_RUN_ID: F.lit(run_id)}).withColumn(
        LINE_ORDER, F.monotonically_increasing_id()
    )


def _typed(spark, table_name, rows, run_id="20240101T000000000000Z-aaaaaa"):
    good, rejects = validate(_landing(spark, table_name, rows, run_id), schema.source_table(table_name))
    assert rejects.count() == 0, rejects.collect()
    return good


ADDRESS_15 = {
    "address_id": "15",
    "address_line_1": "605 Haskell Trafficway",
    "address_line_2": "Axel Freeway",
    "district": None,
    "city": "East Bobbie",
    "postal_code": "88253-4257",
    "country": "Heard Island and McDonald Islands",
    "phone": "9687 937447",
    "created_at": "2022-11-03T14:20:49.962",
    "last_updated": "2022-11-03T14:20:49.962",
}


def _sales_order(**overrides):
    row = {
        "sales_order_id": "2",
        "created_at": "2022-11-03T14:20:52.186",
        "last_updated": "2022-11-03T14:20:52.186",
        "design_id": "3",
        "staff_id": "19",
        "counterparty_id": "8",
        "units_sold": "42972",
        "unit_price": "3.94",
        "currency_id": "2",
        "agreed_delivery_date": "2022-11-07",
        "agreed_payment_date": "2022-11-08",
        "agreed_delivery_location_id": "8",
    }
    row.update(overrides)
    return row


def _star(spark, table, rows):
    """Expected rows of a star table, in the schema the star schema declares for it."""
    return spark.createDataFrame(rows, star_schema(schema.star_table(table)))


def test_every_output_matches_the_schema_definition(spark):
    department = _typed(
        spark,
        "department",
        [
            {
                "department_id": "4",
                "department_name": "Dispatch",
                "location": "Leds",
                "manager": "Mirza Runolfsdottir",
                "created_at": "2022-11-03T14:20:49.962",
                "last_updated": "2022-11-03T14:20:49.962",
            }
        ],
    )
    staff = _typed(
        spark,
        "staff",
        [
            {
                "staff_id": "7",
                "first_name": "Irving",
                "last_name": "O'Keefe",
                "department_id": "4",
                "email_address": "irving.o'keefe@terrifictotes.com",
                "created_at": "2022-11-03T14:20:51.563",
                "last_updated": "2022-11-03T14:20:51.563",
            }
        ],
    )
    expected = {
        "staff_id": 7,
        "first_name": "Irving",
        "last_name": "O'Keefe",
        "department_name": "Dispatch",
        "location": "Leds",
        "email_address": "irving.o'keefe@terrifictotes.com",
    }
    assert_df_equality(star.dim_staff(staff, department), _star(spark, "dim_staff", [expected]), ignore_nullable=True)


def test_counterparty_takes_its_legal_address(spark):
    address = _typed(spark, "address", [ADDRESS_15])
    counterparty = _typed(
        spark,
        "counterparty",
        [
            {
                "counterparty_id": "1",
                "counterparty_legal_name": "Fahey and Sons",
                "legal_address_id": "15",
                "commercial_contact": "Micheal Toy",
                "delivery_contact": "Mrs. Lucy Runolfsdottir",
                "created_at": "2022-11-03T14:20:51.563",
                "last_updated": "2022-11-03T14:20:51.563",
            }
        ],
    )
    expected = {
        "counterparty_id": 1,
        "counterparty_legal_name": "Fahey and Sons",
        "counterparty_legal_address_line_1": "605 Haskell Trafficway",
        "counterparty_legal_address_line_2": "Axel Freeway",
        "counterparty_legal_district": None,
        "counterparty_legal_city": "East Bobbie",
        "counterparty_legal_postal_code": "88253-4257",
        "counterparty_legal_country": "Heard Island and McDonald Islands",
        "counterparty_legal_phone_number": "9687 937447",
    }
    assert_df_equality(
        star.dim_counterparty(counterparty, address), _star(spark, "dim_counterparty", [expected]), ignore_nullable=True
    )


def test_location_and_design_keep_values_verbatim(spark):
    location = star.dim_location(_typed(spark, "address", [ADDRESS_15])).collect()[0]
    assert location["location_id"] == 15 and location["district"] is None
    design = _typed(
        spark,
        "design",
        [
            {
                "design_id": "8",
                "created_at": "2022-11-03T14:20:49.962",
                "design_name": "Wooden",
                "file_location": "/usr",
                "file_name": "wooden-20220717-npgz.json",
                "last_updated": "2022-11-03T14:20:49.962",
            }
        ],
    )
    expected = {
        "design_id": 8,
        "design_name": "Wooden",
        "file_location": "/usr",
        "file_name": "wooden-20220717-npgz.json",
    }
    assert_df_equality(star.dim_design(design), _star(spark, "dim_design", [expected]), ignore_nullable=True)


def test_currency_names_come_from_iso_4217(spark):
    currency = _typed(
        spark,
        "currency",
        [
            {
                "currency_id": "1",
                "currency_code": "GBP",
                "created_at": "2022-11-03T14:20:49.962",
                "last_updated": "2022-11-03T14:20:49.962",
            },
            {
                "currency_id": "2",
                "currency_code": "USD",
                "created_at": "2022-11-03T14:20:49.962",
                "last_updated": "2022-11-03T14:20:49.962",
            },
            {
                "currency_id": "3",
                "currency_code": "EUR",
                "created_at": "2022-11-03T14:20:49.962",
                "last_updated": "2022-11-03T14:20:49.962",
            },
            {
                "currency_id": "4",
                "currency_code": "ZZZ",
                "created_at": "2022-11-03T14:20:49.962",
                "last_updated": "2022-11-03T14:20:49.962",
            },
        ],
    )
    names = {r["currency_code"]: r["currency_name"] for r in star.dim_currency(currency).collect()}
    # A code ISO 4217 does not know keeps the code as its name (the column is NOT NULL).
    assert names == {"GBP": "Pound Sterling", "USD": "US Dollar", "EUR": "Euro", "ZZZ": "ZZZ"}


def test_transaction_ids_are_integers_or_null(spark):
    transaction = _typed(
        spark,
        "transaction",
        [
            {
                "transaction_id": "1",
                "transaction_type": "PURCHASE",
                "sales_order_id": None,
                "purchase_order_id": "2",
                "created_at": "2022-11-03T14:20:52.186",
                "last_updated": "2022-11-03T14:20:52.186",
            },
            {
                "transaction_id": "2",
                "transaction_type": "SALE",
                "sales_order_id": "5",
                "purchase_order_id": None,
                "created_at": "2022-11-03T14:20:52.186",
                "last_updated": "2022-11-03T14:20:52.186",
            },
        ],
    )
    expected = [
        {"transaction_id": 1, "transaction_type": "PURCHASE", "sales_order_id": None, "purchase_order_id": 2},
        {"transaction_id": 2, "transaction_type": "SALE", "sales_order_id": 5, "purchase_order_id": None},
    ]
    assert_df_equality(
        star.dim_transaction(transaction),
        _star(spark, "dim_transaction", expected),  # the schema contract: sales_order_id is an int
        ignore_nullable=True,
        ignore_row_order=True,
    )


@pytest.mark.parametrize(
    "stamp, expected",
    [
        ("2023-02-16 09:26:10", "09:26:10"),
        ("2022-11-03 14:20:52.186", "14:20:52.186"),
        ("2022-11-03 14:20:52.05", "14:20:52.050"),
        ("2022-11-03 14:20:52.1869", "14:20:52.186"),  # truncated, as PostgreSQL's milliseconds are
        ("1969-12-31 23:59:59.186", "23:59:59.186"),  # negative epoch microseconds
    ],
)
def test_time_of_day(spark, stamp, expected):
    frame = spark.createDataFrame([(stamp,)], "stamp string")
    assert frame.select(star.time_of_day(F.col("stamp").cast("timestamp"))).first()[0] == expected


def test_fact_times_keep_milliseconds_and_whole_seconds_parse(spark):
    orders = _typed(
        spark,
        "sales_order",
        [
            _sales_order(),
            _sales_order(sales_order_id="875", created_at="2023-02-16T09:26:10", last_updated="2023-02-16T09:26:10"),
        ],
    )
    rows = {r["sales_order_id"]: r for r in star.fact_sales_order(orders).collect()}
    assert (rows[2]["created_date"], rows[2]["created_time"]) == (datetime.date(2022, 11, 3), "14:20:52.186")
    assert (rows[875]["created_date"], rows[875]["created_time"]) == (datetime.date(2023, 2, 16), "09:26:10")
    assert rows[2]["unit_price"] == Decimal("3.94") and rows[2]["sales_staff_id"] == 19
    assert rows[2]["agreed_payment_date"] == datetime.date(2022, 11, 8)
    assert rows[2][star.PARTITION_COLUMN] == "2022-11"


def test_a_flipped_payment_is_two_versions_and_reingesting_adds_none(spark):
    def payment(paid, last_updated):
        return {
            "payment_id": "2",
            "created_at": "2022-11-03T14:20:52.187",
            "last_updated": last_updated,
            "transaction_id": "2",
            "counterparty_id": "15",
            "payment_amount": "552548.62",
            "currency_id": "2",
            "payment_type_id": "3",
            "paid": paid,
            "payment_date": "2022-11-04",
            "company_ac_number": "67305075",
            "counterparty_ac_number": "31758074",
        }

    first = star.fact_payment(_typed(spark, "payment", [payment("false", "2022-11-03T14:20:52.187")]))
    second_batch = _typed(
        spark,
        "payment",
        [payment("false", "2022-11-03T14:20:52.187"), payment("true", "2022-11-04T07:55:11.123")],
        run_id="20240102T000000000000Z-bbbbbb",
    )
    added = star.new_versions(star.fact_payment(second_batch), first)
    assert [(r["paid"], r["last_updated_time"]) for r in added.collect()] == [(True, "07:55:11.123")]
    assert star.new_versions(star.fact_payment(second_batch), first.unionByName(added)).count() == 0
    assert first.collect()[0]["payment_amount"] == Decimal("552548.62")


def test_a_silent_update_is_a_new_version_with_the_same_last_updated(spark):
    batch = _typed(spark, "sales_order", [_sales_order(), _sales_order(design_id="9")])
    facts = star.fact_sales_order(batch)
    assert sorted(r["design_id"] for r in facts.collect()) == [3, 9]
    duplicate = _typed(spark, "sales_order", [_sales_order(), _sales_order()])
    assert star.fact_sales_order(duplicate).count() == 1


def _design_8(spark, file_location, last_updated="2022-11-03T14:20:49.962", **landing):
    """Design 8 as one landing run read it."""
    row = {
        "design_id": "8",
        "created_at": "2022-11-03T14:20:49.962",
        "design_name": "Wooden",
        "file_location": file_location,
        "file_name": "w.json",
        "last_updated": last_updated,
    }
    return _typed(spark, "design", [row], **landing)


def test_latest_per_key_is_the_row_the_newest_landing_run_read(spark):
    old = _design_8(spark, "/usr")
    silent = _design_8(spark, "/private", run_id="20240301T000000000000Z-cccccc")
    latest = star.latest_per_key(old.unionByName(silent), "design_id").collect()
    assert [r["file_location"] for r in latest] == ["/private"]
    # A later run's row is newer even with an older last_updated (a transaction that committed late).
    backdated = _design_8(spark, "/opt", "2020-01-01T00:00:00", run_id="20240302T000000000000Z-dddddd")
    latest = star.latest_per_key(old.unionByName(silent).unionByName(backdated), "design_id").collect()
    assert [r["file_location"] for r in latest] == ["/opt"]


def test_dim_date_is_iso_and_contiguous(spark):
    dates = {
        r["date_id"]: r for r in star.dim_date(spark, datetime.date(2023, 8, 30), datetime.date(2024, 12, 1)).collect()
    }
    assert len(dates) == (datetime.date(2024, 12, 1) - datetime.date(2023, 8, 30)).days + 1
    assert dates[datetime.date(2023, 9, 1)]["quarter"] == 3
    sunday = dates[datetime.date(2024, 12, 1)]
    assert (sunday["day_of_week"], sunday["day_name"], sunday["month_name"], sunday["year"]) == (
        7,
        "Sunday",
        "December",
        2024,
    )
    assert dates[datetime.date(2024, 11, 25)]["day_of_week"] == 1


def test_bad_rows_are_rejected_with_a_reason(spark):
    raw = _landing(
        spark,
        "sales_order",
        [
            _sales_order(),
            _sales_order(sales_order_id="3", units_sold="lots"),
            _sales_order(sales_order_id="4", currency_id=None),
            _sales_order(sales_order_id="5", agreed_payment_date="next tuesday"),
        ],
    )
    corrupt = spark.createDataFrame(
        [tuple([None] * 12) + ('{"sales_order_id": 6, broken',)],
        landing_read_schema(schema.source_table("sales_order")),
    )
    corrupt = corrupt.withColumns(
        {
            "_source_file": F.lit("file:///landing/y.jsonl"),
            LANDING_RUN_ID: F.lit("r"),
            LINE_ORDER: F.lit(99).cast("long"),
        }
    )
    good, rejects = validate(raw.unionByName(corrupt), schema.source_table("sales_order"))
    assert [r["sales_order_id"] for r in good.collect()] == [2]
    reasons = sorted(r["reason"] for r in rejects.collect())
    assert reasons == [
        'agreed_payment_date: cannot read ["next tuesday"] as text:date',
        "currency_id: missing or null in a NOT NULL column",
        "malformed JSON line",
        'units_sold: cannot read ["lots"] as int',
    ]
    assert {r["source_file"] for r in rejects.collect()} == {"file:///landing/x.jsonl", "file:///landing/y.jsonl"}
    assert CORRUPT_RECORD not in good.columns


def test_fact_output_columns_follow_the_schema(spark):
    facts = star.fact_sales_order(_typed(spark, "sales_order", [_sales_order()]))
    expected = [c.name for c in schema.star_table("fact_sales_order").data_columns] + [
        star.VERSION_KEY,
        star.LANDED_BY,
        star.PARTITION_COLUMN,
    ]
    assert facts.columns == expected


def test_payment_type_dimension(spark):
    stamp = {"created_at": "2022-11-03T14:20:49.962", "last_updated": "2022-11-03T14:20:49.962"}
    types = _typed(
        spark,
        "payment_type",
        [
            {"payment_type_id": "1", "payment_type_name": "SALES_RECEIPT", **stamp},
            {"payment_type_id": "3", "payment_type_name": "PURCHASE_PAYMENT", **stamp},
        ],
    )
    expected = spark.createDataFrame(
        [(1, "SALES_RECEIPT"), (3, "PURCHASE_PAYMENT")], star_schema(schema.star_table("dim_payment_type"))
    )
    assert_df_equality(star.dim_payment_type(types), expected, ignore_nullable=True, ignore_row_order=True)
