"""The load job against a real PostgreSQL and a real Spark session.

Processed-zone input is written here directly (Parquet + manifest, as the transform's contract
describes it), so these tests depend on the contract, not on the transform's implementation.
"""

import datetime
import hashlib
import os
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import helpers
from gamboge.common import faults, schema
from gamboge.lake import buckets, manifests, storage
from gamboge.load import connection, load_job, pipeline, staging
from gamboge.transform import star
from gamboge.warehouse import warehouse

pytestmark = pytest.mark.spark

REPO = helpers.REPO
D = datetime.date
FIRST_DAY, LAST_DAY = D(2024, 1, 1), D(2024, 1, 10)

DIMENSION_ROWS = {
    "dim_staff": [(1, "Jeremie", "Franey", "Purchasing", "Manchester", "irving.o'keefe@terrifictotes.com")],
    "dim_location": [(1, "6826 Herzog Via", None, "Avon", "New Patienceburgh", "28441", "Turkey", "1803 637401")],
    "dim_currency": [(1, "GBP", "Pound Sterling"), (2, "USD", "US Dollar")],
    "dim_design": [(1, "Wooden", "/usr", "wooden-20220717-npgz.json"), (2, "Steel", "/bin", "steel-20231201.json")],
    "dim_counterparty": [
        (1, "Fahey and Sons", "605 Haskell Trafficway", "Axel Freeway", None, "East Bobbie", "88253", "Austria", "9687")
    ],
    "dim_payment_type": [(1, "SALES_RECEIPT"), (3, "PURCHASE_PAYMENT")],
    "dim_transaction": [(1, "SALE", 1, None), (2, "PURCHASE", None, 1)],
}
SALES = [
    # sales_order_id, created date/time, last_updated date/time, staff, counterparty, units, price,
    # currency, design, agreed payment date, agreed delivery date, delivery location
    (1, D(2024, 1, 2), "14:20:52.186", D(2024, 1, 2), "14:20:52.186", 1, 1, 10, Decimal("3.50"), 1, 1,
     D(2024, 1, 6), D(2024, 1, 9), 1),
    (2, D(2024, 1, 3), "09:26:10", D(2024, 1, 3), "09:26:10", 1, 1, 7, Decimal("12.99"), 2, 2,
     D(2024, 1, 5), D(2024, 1, 4), 1),
]  # fmt: skip
PURCHASES = [
    (1, D(2024, 1, 2), "10:00:00.500", D(2024, 1, 2), "10:00:00.500", 1, 1, "ZDOI5EA", 5, Decimal("2.00"), 1,
     D(2024, 1, 7), D(2024, 1, 8), 1),
]  # fmt: skip
PAYMENTS = [
    (1, D(2024, 1, 2), "14:20:52.186", D(2024, 1, 2), "14:20:52.186", 1, 1, Decimal("35.00"), 1, 1, False,
     D(2024, 1, 6)),
    (2, D(2024, 1, 2), "10:00:00.500", D(2024, 1, 2), "10:00:00.500", 2, 1, Decimal("10.00"), 1, 3, False,
     D(2024, 1, 8)),
]  # fmt: skip
FACT_ROWS = {"fact_sales_order": SALES, "fact_purchase_order": PURCHASES, "fact_payment": PAYMENTS}


ARROW_TYPES = {
    schema.INT: pa.int32(),
    "varchar": pa.string(),
    schema.MONEY: pa.decimal128(10, 2),
    schema.DATE: pa.date32(),
    schema.TIME: pa.string(),  # ISO text, as the transform writes it
    schema.BOOL: pa.bool_(),
}


def write_parquet(path, table, rows, extra=()):
    """Parquet with the processed zone's column types (written with pyarrow: much faster than Spark)."""
    fields = [pa.field(c.name, ARROW_TYPES[c.type], c.nullable) for c in table.data_columns]
    fields += [pa.field(name, pa.string()) for name in extra]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist([dict(zip([f.name for f in fields], r)) for r in rows], pa.schema(fields)), path
    )


def calendar(first, last):
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    return [
        (d, d.year, d.month, d.day, d.isoweekday(), d.strftime("%A"), d.strftime("%B"), (d.month - 1) // 3 + 1)
        for d in days
    ]


def write_batch(processed_uri, batch_id, dimensions=None, facts=None, carried=(), dates=True):
    """A processed batch by the contract: full dimension snapshots, new fact versions, manifest last."""
    tables = {}
    snapshots = dict(dimensions or {})
    if dates:
        snapshots["dim_date"] = calendar(FIRST_DAY, LAST_DAY)
    for name, rows in snapshots.items():
        location = storage.join(processed_uri, name, f"snapshot={batch_id}")
        write_parquet(Path(storage.local_path(location)) / "part-0.parquet", schema.star_table(name), rows)
        tables[name] = {"kind": "dimension", "location": location, "rows": len(rows)}
    for name in carried:
        tables[name] = {"kind": "dimension", "location": "file:///nowhere", "rows": 1, "carried_over": True}
    for name, rows in (facts or {}).items():
        versioned = [r + (hashlib.sha256(repr(r).encode()).hexdigest(),) for r in rows]
        uri = storage.join(processed_uri, name, f"{star.PARTITION_COLUMN}=2024-01", f"{batch_id}-0.parquet")
        write_parquet(Path(storage.local_path(uri)), schema.star_table(name), versioned, extra=[star.VERSION_KEY])
        tables[name] = {"kind": "fact", "files": [uri], "rows": len(rows), "partitions": ["2024-01"]}
    body = {"job": "transform", "batch_id": batch_id, "inputs": [batch_id], "tables": tables}
    manifests.write_manifest(processed_uri, batch_id, body)


def first_batch(processed_uri, batch_id="20240102T000000000000Z-aaaaaa"):
    write_batch(processed_uri, batch_id, DIMENSION_ROWS, FACT_ROWS)


def checksums(dsn):
    """Per table: row count and an md5 over every row's text (serial ids included)."""
    out = {}
    with psycopg.connect(dsn) as conn:
        for name in [t.name for t in schema.STAR_TABLES] + [warehouse.LOAD_LOG]:
            ident = schema.quote_ident(name)
            out[name] = conn.execute(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {ident} t"
            ).fetchone()
    return out


def staging_tables(dsn):
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'gamboge\\_stg\\_%'").fetchall()


@pytest.fixture()
def processed_uri(tmp_path):
    return (tmp_path / "lake" / "processed").as_uri()


# --- DDL ------------------------------------------------------------------------------------------
def test_sql_file_is_the_rendered_ddl():
    assert warehouse.SQL_FILE.read_text() == warehouse.render_ddl(), (
        "shared/gamboge/sql/warehouse.sql is stale: regenerate it from gamboge.warehouse.warehouse.render_ddl()"
    )


def test_ddl_matches_the_schema_definition(fresh_db):
    with psycopg.connect(fresh_db) as conn:
        warehouse.ensure_schema(conn)
        warehouse.ensure_schema(conn)  # idempotent
        for table in schema.STAR_TABLES:
            columns = conn.execute(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_name = %s ORDER BY ordinal_position",
                (table.name,),
            ).fetchall()
            assert [c[0] for c in columns] == table.column_names
            expected = {
                "integer": "integer",
                "serial": "integer",
                "varchar": "character varying",
                "numeric(10,2)": "numeric",
                "date": "date",
                "time": "time without time zone",
                "boolean": "boolean",
            }
            assert [c[1] for c in columns] == [expected[schema.pg_type(c.type)] for c in table.columns]
            assert [c[2] == "YES" for c in columns] == [c.nullable for c in table.columns]
            (pk,) = conn.execute(
                "SELECT array_agg(kcu.column_name::text) FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage kcu USING (constraint_name, table_name) "
                "WHERE tc.table_name = %s AND tc.constraint_type = 'PRIMARY KEY'",
                (table.name,),
            ).fetchone()
            assert pk == [table.primary_key]
            fks = conn.execute(
                "SELECT a.attname, c.confrelid::regclass::text, af.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] "
                "WHERE c.contype = 'f' AND c.conrelid = %s::regclass",
                (schema.quote_ident(table.name),),
            ).fetchall()
            assert sorted(fks) == sorted((fk.column, fk.ref_table, fk.ref_column) for fk in table.foreign_keys)
            if table.is_fact:
                (index_columns,) = conn.execute(
                    "SELECT array_agg(a.attname::text ORDER BY k.n) FROM pg_index i "
                    "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
                    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                    "WHERE i.indisunique AND NOT i.indisprimary AND i.indexrelid = %s::regclass",
                    (schema.quote_ident(warehouse.version_index_name(table)),),
                ).fetchone()
                assert index_columns == table.version_columns


def test_a_differently_shaped_table_is_refused(spark, fresh_db, processed_uri):
    with psycopg.connect(fresh_db) as conn:
        conn.execute(
            'CREATE TABLE "dim_currency" '
            "(currency_id integer PRIMARY KEY, currency_code varchar NOT NULL, x int NOT NULL)"
        )
    with pytest.raises(warehouse.SchemaMismatch, match=r"table dim_currency has no column currency_name"):
        pipeline.run(spark, processed_uri, fresh_db)
    with psycopg.connect(fresh_db) as conn:
        conn.execute('ALTER TABLE "dim_currency" RENAME COLUMN x TO currency_name')
        with pytest.raises(warehouse.SchemaMismatch, match=r"dim_currency column currency_name is integer"):
            warehouse.ensure_schema(conn)
        created = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'fact%%'").fetchone()[0]
    assert created == 0, "nothing may be created when the schema is refused"


# --- loading --------------------------------------------------------------------------------------
def test_load_then_load_again_changes_nothing(spark, fresh_db, processed_uri):
    first_batch(processed_uri)
    summary = pipeline.run(spark, processed_uri, fresh_db)
    assert summary["loaded"] == ["20240102T000000000000Z-aaaaaa"]
    assert summary["tables"]["dim_date"]["inserted"] == 10
    assert summary["tables"]["fact_sales_order"] == {"staged": 2, "inserted": 2, "updated": 0}
    assert summary["tables"]["dim_design"] == {"staged": 2, "inserted": 2, "updated": 0}
    with psycopg.connect(fresh_db) as conn:
        times = conn.execute(
            "SELECT created_time::text, unit_price::text FROM fact_sales_order ORDER BY sales_order_id"
        ).fetchall()
        assert times == [("14:20:52.186", "3.50"), ("09:26:10", "12.99")]
        email = conn.execute("SELECT email_address FROM dim_staff").fetchone()[0]
        assert email == "irving.o'keefe@terrifictotes.com"
    before = checksums(fresh_db)
    assert before["fact_payment"][0] == 2 and before[warehouse.LOAD_LOG][0] == 1

    again = pipeline.run(spark, processed_uri, fresh_db)
    assert again["loaded"] == [] and again["already_loaded"] == 1
    assert checksums(fresh_db) == before
    assert staging_tables(fresh_db) == []


def test_a_second_batch_updates_dimensions_and_appends_fact_versions(spark, fresh_db, processed_uri):
    first_batch(processed_uri)
    pipeline.run(spark, processed_uri, fresh_db)
    before = checksums(fresh_db)

    designs = [(1, "Wooden", "/private", "wooden-20220717-npgz.json"), DIMENSION_ROWS["dim_design"][1]]
    paid = [PAYMENTS[0][:10] + (True,) + PAYMENTS[0][11:]]  # the weekday paid flip: a new version
    sales = [SALES[0]]  # a version already loaded (overlap re-read): adds nothing
    write_batch(
        processed_uri,
        "20240103T000000000000Z-bbbbbb",
        {"dim_design": designs},
        {"fact_payment": paid, "fact_sales_order": sales},
        carried=("dim_staff", "dim_currency"),
        dates=False,
    )
    summary = pipeline.run(spark, processed_uri, fresh_db)
    assert summary["loaded"] == ["20240103T000000000000Z-bbbbbb"]
    assert summary["tables"]["dim_design"] == {"staged": 2, "inserted": 0, "updated": 1}
    assert summary["tables"]["fact_payment"]["inserted"] == 1
    assert summary["tables"]["fact_sales_order"]["inserted"] == 0
    after = checksums(fresh_db)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"dim_design", "fact_payment", warehouse.LOAD_LOG}
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("SELECT file_location FROM dim_design WHERE design_id = 1").fetchone()[0] == "/private"
        versions = conn.execute("SELECT paid FROM fact_payment WHERE payment_id = 1 ORDER BY payment_record_id")
        assert [v[0] for v in versions.fetchall()] == [False, True]


def test_kill_before_commit_leaves_the_warehouse_unchanged_and_the_rerun_loads_once(spark, fresh_db, processed_uri):
    first_batch(processed_uri)
    pipeline.run(spark, processed_uri, fresh_db)
    before = checksums(fresh_db)
    paid = [PAYMENTS[0][:10] + (True,) + PAYMENTS[0][11:]]
    write_batch(processed_uri, "20240103T000000000000Z-cccccc", facts={"fact_payment": paid}, dates=False)

    env = dict(os.environ, **{faults.ENV_CRASH_AT: pipeline.CRASH_BEFORE_COMMIT})
    env.update(GAMBOGE_SPARK_MASTER="local[1]", GAMBOGE_SPARK_DRIVER_MEMORY="1g")
    command = [sys.executable, "-m", "gamboge.cli", "load", "--processed_uri", processed_uri]
    crashed = subprocess.run(
        command + ["--warehouse_dsn", fresh_db], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    assert checksums(fresh_db) == before
    assert staging_tables(fresh_db), "the killed run staged its rows before dying"

    summary = pipeline.run(spark, processed_uri, fresh_db)
    assert summary["loaded"] == ["20240103T000000000000Z-cccccc"]
    assert summary["tables"]["fact_payment"]["inserted"] == 1
    assert staging_tables(fresh_db) == []
    after = checksums(fresh_db)
    assert after["fact_payment"][0] == 3 and after[warehouse.LOAD_LOG][0] == 2
    assert pipeline.run(spark, processed_uri, fresh_db)["loaded"] == []
    assert checksums(fresh_db) == after


def write_bucketed_transactions(processed_uri, batch_id, rewritten, prior=None, rows=None):
    """dim_transaction as the transform keeps it (gamboge.lake.buckets): ``rewritten`` (bucket →
    rows) written under this batch, the other buckets of ``prior`` (bucket → location) carried over."""
    written = {}
    for bucket, bucket_rows in rewritten.items():
        location = storage.join(processed_uri, "dim_transaction", buckets.bucket_dir(bucket), f"snapshot={batch_id}")
        write_parquet(
            Path(storage.local_path(location)) / f"{batch_id}-0.parquet",
            schema.star_table("dim_transaction"),
            bucket_rows,
        )
        written[bucket] = location
    changed_rows = sum(len(r) for r in rewritten.values())
    entry = buckets.updated_entry(prior, written, rows or changed_rows, changed_rows, span=2)
    return dict(entry, kind="dimension")


def test_only_the_buckets_a_batch_rewrote_are_staged_and_upserted(spark, fresh_db, processed_uri):
    """dim_transaction in buckets of two ids: the second batch rewrote bucket 1 (an update and a
    new transaction); bucket 0 is neither read nor staged, and a fact referencing it still loads.
    A crash after staging is healed by the rerun."""
    first, second = "20240102T000000000000Z-aaaaaa", "20240103T000000000000Z-bbbbbb"
    write_batch(processed_uri, first, {k: v for k, v in DIMENSION_ROWS.items() if k != "dim_transaction"}, FACT_ROWS)
    body = manifests.read_manifest(manifests.manifest_uri(processed_uri, first))
    one, two = DIMENSION_ROWS["dim_transaction"]
    body["tables"]["dim_transaction"] = write_bucketed_transactions(processed_uri, first, {"0": [one], "1": [two]})
    manifests.write_manifest(processed_uri, first, body)
    assert pipeline.run(spark, processed_uri, fresh_db)["tables"]["dim_transaction"]["staged"] == 2

    bucket_0 = body["tables"]["dim_transaction"]["buckets"]["0"]
    storage.delete_prefix(bucket_0)  # a read of the unchanged bucket would now fail the load
    paid = [PAYMENTS[0][:10] + (True,) + PAYMENTS[0][11:]]  # transaction 1: in bucket 0
    write_batch(processed_uri, second, facts={"fact_payment": paid}, dates=False)
    body = manifests.read_manifest(manifests.manifest_uri(processed_uri, second))
    moved, new = (2, "PURCHASE", None, 2), (3, "SALE", 2, None)
    body["tables"]["dim_transaction"] = write_bucketed_transactions(
        processed_uri, second, {"1": [moved, new]}, prior={"0": bucket_0, "1": "file:///superseded"}, rows=3
    )
    manifests.write_manifest(processed_uri, second, body)

    env = dict(os.environ, **{faults.ENV_CRASH_AT: pipeline.CRASH_AFTER_STAGING})
    env.update(GAMBOGE_SPARK_MASTER="local[1]", GAMBOGE_SPARK_DRIVER_MEMORY="1g")
    command = [sys.executable, "-m", "gamboge.cli", "load", "--processed_uri", processed_uri]
    crashed = subprocess.run(
        command + ["--warehouse_dsn", fresh_db], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    with psycopg.connect(fresh_db) as conn:
        staged = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'gamboge%%'")]
        transactions = [t for t in staged if t.endswith("_dim_transaction")]
        assert len(transactions) == 1
        assert sorted(conn.execute(f'SELECT * FROM "{transactions[0]}"').fetchall()) == [moved, new]  # nosec B608

    summary = pipeline.run(spark, processed_uri, fresh_db)
    assert summary["loaded"] == [second]
    assert summary["tables"]["dim_transaction"] == {"staged": 2, "inserted": 1, "updated": 1}
    assert summary["tables"]["fact_payment"]["inserted"] == 1
    with psycopg.connect(fresh_db) as conn:
        rows = conn.execute("SELECT * FROM dim_transaction ORDER BY transaction_id").fetchall()
    assert rows == [one, moved, new]
    assert staging_tables(fresh_db) == []


def test_a_fact_key_without_a_dimension_row_is_named_and_nothing_is_loaded(spark, fresh_db, processed_uri):
    orphan = SALES[1][:10] + (99,) + SALES[1][11:]  # design 99 exists in no dim_design snapshot
    write_batch(
        processed_uri, "20240102T000000000000Z-dddddd", DIMENSION_ROWS, {"fact_sales_order": [SALES[0], orphan]}
    )
    with pytest.raises(pipeline.LoadError, match=r"fact_sales_order\.design_id references dim_design\.design_id = 99"):
        pipeline.run(spark, processed_uri, fresh_db)
    assert all(count == 0 for count, _ in checksums(fresh_db).values())
    assert staging_tables(fresh_db) == []
    # The job's entry point turns it into a non-zero exit.
    assert load_job.glue_main(["load_warehouse.py", "--processed_uri", processed_uri, "--warehouse_dsn", fresh_db]) == 1


def test_an_unreachable_warehouse_is_a_clear_error(spark, pg_server, processed_uri):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(pipeline.LoadError, match=rf"cannot connect to the warehouse 127\.0\.0\.1:{port}/warehouse"):
        pipeline.run(spark, processed_uri, f"postgresql://gamboge@127.0.0.1:{port}/warehouse")
    missing = pg_server.dsn("no_such_database")
    with pytest.raises(pipeline.LoadError, match=r"cannot connect to the warehouse .*no_such_database.*does not exist"):
        pipeline.run(spark, processed_uri, missing)


def test_dsn_becomes_a_jdbc_url_without_the_password():
    target = connection.warehouse_from_dsn("postgresql://loader:s3cret@db.example:6543/wh?sslmode=require")
    assert target.jdbc_url.startswith("jdbc:postgresql://db.example:6543/wh?")
    assert "reWriteBatchedInserts=true" in target.jdbc_url and "sslmode=require" in target.jdbc_url
    assert "s3cret" not in target.jdbc_url and "s3cret" not in target.label
    assert target.jdbc_properties == {"driver": "org.postgresql.Driver", "user": "loader", "password": "s3cret"}
    assert len(staging.staging_table_name("x" * 80, "fact_purchase_order")) <= 63
