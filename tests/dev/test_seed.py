"""The ToteSys generator against a real PostgreSQL: schema shape, sizes, distributions, simulate's report."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import psycopg
import pytest

import helpers
from gamboge.cli import main as cli
from gamboge.common import schema
from gamboge.dev.seed import seed_source
from gamboge.dev.simulate import simulate

# The ToteSys snapshots beside the repo (read only, for the optional comparison at the end).
LIVE_PARQUET = helpers.REPO.parent / "shared" / "totesys-data" / "Aidan-Mooney-ToteSys-project"
START = date(2023, 1, 2)  # a Monday; the span is fixed so the tests do not depend on today
SPAN_END = date(2025, 1, 10)  # the 530th working day from START
GENERATED = ("design", "sales_order", "purchase_order", "transaction", "payment")


def _new_database(pg_server) -> str:
    name = "seed_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_server.dsn(name)


def _drop_database(pg_server, dsn: str) -> None:
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture(scope="module")
def scale_one(pg_server):
    """One scale-1 source shared by the read-only tests (the only scale-1 seed in this file)."""
    dsn = _new_database(pg_server)
    counts = seed_source(dsn, scale=1, start=START, seed=0)
    yield dsn, counts
    _drop_database(pg_server, dsn)


def _rows(dsn: str, sql: str, params=()):
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def _one(dsn: str, sql: str, params=()):
    return _rows(dsn, sql, params)[0]


def _snapshot(dsn: str) -> dict:
    """Every generated table's rows as {id: row as JSON-like dict}."""
    out = {}
    with psycopg.connect(dsn) as conn:
        for name in GENERATED:
            key = schema.source_table(name).primary_key
            out[name] = {
                row[key]: row
                for (row,) in conn.execute(f'SELECT row_to_json(t) FROM "{name}" AS t')  # noqa: S608
            }
    return out


def _digest(dsn: str) -> dict:
    with psycopg.connect(dsn) as conn:
        return {
            t.name: conn.execute(
                f'SELECT md5(string_agg(t::text, \'|\' ORDER BY "{t.primary_key}")) FROM "{t.name}" AS t'  # noqa: S608
            ).fetchone()[0]
            for t in schema.SOURCE_TABLES
        }


# --- schema ---------------------------------------------------------------------------------------
def test_schema_has_the_live_shape(scale_one):
    dsn, _ = scale_one
    columns = _rows(
        dsn,
        "SELECT table_name, column_name, data_type, udt_name, datetime_precision, numeric_precision, "
        "numeric_scale, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    )
    by_table = {}
    for row in columns:
        by_table.setdefault(row[0], []).append(row[1:])
    assert sorted(by_table) == sorted(schema.SOURCE_TABLE_NAMES)
    # Column order as SELECT * returns it; design's last_updated comes last, after file_name.
    assert [c[0] for c in by_table["design"]] == [
        "design_id",
        "created_at",
        "design_name",
        "file_location",
        "file_name",
        "last_updated",
    ]
    assert [c[0] for c in by_table["payment"]][:4] == ["payment_id", "created_at", "last_updated", "transaction_id"]
    for table in schema.SOURCE_TABLES:
        cols = {c[0]: c for c in by_table[table.name]}
        assert [c[0] for c in by_table[table.name]] == table.column_names
        for stamp in ("created_at", "last_updated"):
            assert cols[stamp][1:4] == ("timestamp without time zone", "timestamp", 3)
            assert cols[stamp][7] == "NO"
        assert cols["created_at"][8] == "CURRENT_TIMESTAMP"
        assert cols["last_updated"][8] is None
        assert cols[table.primary_key][8].startswith("nextval(")
        for column in table.columns:
            assert cols[column.name][7] == ("YES" if column.nullable else "NO"), (table.name, column.name)
    for table, column in (
        ("sales_order", "agreed_delivery_date"),
        ("sales_order", "agreed_payment_date"),
        ("purchase_order", "agreed_payment_date"),
        ("payment", "payment_date"),
    ):
        assert dict((c[0], c[1]) for c in by_table[table])[column] == "text"
    money = {c[0]: c for c in by_table["payment"]}["payment_amount"]
    assert money[1:2] + money[4:6] == ("numeric", 10, 2)
    code = {c[0]: c for c in by_table["currency"]}["currency_code"]
    assert (code[1], code[6]) == ("character varying", 3)
    assert {c[0]: c[2] for c in by_table["payment_type"]}["payment_type_name"] == "payment_type_name"
    assert {c[0]: c[2] for c in by_table["transaction"]}["transaction_type"] == "transaction_type"
    enums = _rows(
        dsn,
        "SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_type t "
        "JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY 1",
    )
    assert enums == [
        ("payment_type_name", ["SALES_RECEIPT", "SALES_REFUND", "PURCHASE_PAYMENT", "PURCHASE_REFUND"]),
        ("transaction_type", ["SALE", "PURCHASE"]),
    ]


def test_indexes_and_foreign_keys_are_in_place_and_valid(scale_one):
    dsn, _ = scale_one
    unique = _rows(
        dsn,
        "SELECT c.relname::text, a.attname FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE i.indisunique AND NOT i.indisprimary AND n.nspname = 'public' ORDER BY 1, 2",
    )
    assert unique == [
        ("payment", "transaction_id"),
        ("transaction", "purchase_order_id"),
        ("transaction", "sales_order_id"),
    ]
    foreign = _rows(
        dsn,
        "SELECT conrelid::regclass::text, a.attname, confrelid::regclass::text, confdeltype, convalidated "
        "FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE contype = 'f'",
    )
    assert len(foreign) == 17 and all(row[4] for row in foreign)
    by_column = {(row[0].strip('"'), row[1]): (row[2].strip('"'), row[3]) for row in foreign}
    assert by_column[("counterparty", "legal_address_id")] == ("address", "r")
    assert by_column[("sales_order", "agreed_delivery_location_id")] == ("address", "r")
    assert by_column[("transaction", "sales_order_id")] == ("sales_order", "n")  # ON DELETE SET NULL
    assert by_column[("payment", "payment_type_id")] == ("payment_type", "r")


# --- sizes and reference rows ---------------------------------------------------------------------
def test_scale_one_is_the_size_of_the_live_database(scale_one):
    _, counts = scale_one
    live = {"sales_order": 11187, "purchase_order": 4649, "transaction": 15836, "payment": 15836, "design": 473}
    for table, rows in live.items():
        assert abs(counts[table] - rows) <= rows * 0.10, (table, counts[table])
    assert counts["transaction"] == counts["payment"] == counts["sales_order"] + counts["purchase_order"]
    fixed = {"address": 30, "counterparty": 20, "currency": 3, "department": 8, "payment_type": 4, "staff": 20}
    assert {t: counts[t] for t in fixed} == fixed


def test_ids_are_contiguous_and_sequences_continue_after_them(scale_one):
    dsn, counts = scale_one
    for table in schema.SOURCE_TABLES:
        key = table.primary_key
        assert _one(dsn, f'SELECT min("{key}"), max("{key}"), count(*) FROM "{table.name}"') == (  # noqa: S608
            1,
            counts[table.name],
            counts[table.name],
        )
    with psycopg.connect(dsn) as conn:
        new_id = conn.execute(
            "INSERT INTO currency (currency_code, last_updated) VALUES ('JPY', now()) RETURNING currency_id"
        ).fetchone()[0]
        conn.rollback()
    assert new_id == 4


def test_reference_rows_keep_the_live_quirks(scale_one):
    dsn, _ = scale_one
    assert _rows(dsn, "SELECT currency_id, currency_code FROM currency ORDER BY 1") == [
        (1, "GBP"),
        (2, "USD"),
        (3, "EUR"),
    ]
    assert _rows(dsn, "SELECT payment_type_id, payment_type_name::text FROM payment_type ORDER BY 1") == [
        (1, "SALES_RECEIPT"),
        (2, "SALES_REFUND"),
        (3, "PURCHASE_PAYMENT"),
        (4, "PURCHASE_REFUND"),
    ]
    assert _one(dsn, "SELECT location FROM department WHERE department_id = 4") == ("Leds",)
    emails = [e for (e,) in _rows(dsn, "SELECT email_address FROM staff")]
    assert all(e.endswith("@terrifictotes.com") and e.count(".") == 2 for e in emails)
    assert [e for e in emails if "'" in e] == ["declan.o'hara@terrifictotes.com"]
    nulls = _one(
        dsn,
        "SELECT count(*) FILTER (WHERE address_line_2 IS NULL), count(*) FILTER (WHERE district IS NULL) FROM address",
    )
    assert 0 < nulls[0] < 30 and 0 < nulls[1] < 30
    assert _one(dsn, "SELECT count(*) FROM counterparty c JOIN address a ON a.address_id = c.legal_address_id") == (20,)
    locations = {loc for (loc,) in _rows(dsn, "SELECT DISTINCT file_location FROM design")}
    assert all(loc.startswith("/") for loc in locations) and len(locations) > 3


# --- distributions --------------------------------------------------------------------------------
def test_orders_are_created_on_weekdays_in_office_hours_with_milliseconds(scale_one):
    dsn, _ = scale_one
    for table in ("sales_order", "purchase_order", "transaction", "payment", "design"):
        out_of_hours, whole_seconds, with_ms, first, last = _one(
            dsn,
            "SELECT count(*) FILTER (WHERE extract(isodow FROM created_at) > 5 "  # noqa: S608
            "   OR created_at::time NOT BETWEEN '08:00' AND '18:59:59.999'), "
            "count(*) FILTER (WHERE date_trunc('second', created_at) = created_at), "
            "count(*) FILTER (WHERE date_trunc('second', created_at) <> created_at), "
            f'min(created_at)::date, max(created_at)::date FROM "{table}"',
        )
        assert out_of_hours == 0, table
        assert whole_seconds > 0 and with_ms > whole_seconds * 20, table
        assert first == START and last == SPAN_END
    per_day = _rows(dsn, "SELECT count(*) FROM sales_order GROUP BY created_at::date")
    assert len(per_day) == 530
    assert 19 <= sum(n for (n,) in per_day) / len(per_day) <= 23


def test_orders_transactions_and_payments_agree(scale_one):
    dsn, counts = scale_one
    mismatches = _one(
        dsn,
        """
        WITH o AS (
            SELECT t.transaction_id, t.transaction_type, t.created_at AS transaction_created_at,
                   coalesce(s.created_at, p.created_at) AS created_at,
                   coalesce(s.units_sold * s.unit_price, p.item_quantity * p.item_unit_price) AS amount,
                   coalesce(s.agreed_payment_date, p.agreed_payment_date) AS agreed_payment_date,
                   coalesce(s.counterparty_id, p.counterparty_id) AS counterparty_id,
                   coalesce(s.currency_id, p.currency_id) AS currency_id
            FROM "transaction" t
            LEFT JOIN sales_order s USING (sales_order_id)
            LEFT JOIN purchase_order p USING (purchase_order_id)
        )
        SELECT count(*) FILTER (WHERE o.transaction_created_at <> o.created_at OR pay.created_at <> o.created_at),
               count(*) FILTER (WHERE pay.payment_amount <> o.amount),
               count(*) FILTER (WHERE pay.payment_date <> o.agreed_payment_date),
               count(*) FILTER (WHERE pay.counterparty_id <> o.counterparty_id OR pay.currency_id <> o.currency_id),
               count(*) FILTER (WHERE (o.transaction_type = 'SALE') <> (pt.payment_type_name::text LIKE 'SALES%%')),
               count(*)
        FROM o
        JOIN payment pay USING (transaction_id)
        JOIN payment_type pt USING (payment_type_id)
        """,
    )
    assert mismatches == (0, 0, 0, 0, 0, counts["payment"])
    assert _one(
        dsn,
        "SELECT count(*) FROM \"transaction\" WHERE (transaction_type = 'SALE') <> "
        "(sales_order_id IS NOT NULL AND purchase_order_id IS NULL)",
    ) == (0,)
    refunds = _one(dsn, "SELECT count(*) FILTER (WHERE payment_type_id IN (2, 4)), count(*) FROM payment")
    assert 0 < refunds[0] < refunds[1] * 0.03


def test_agreed_dates_are_text_zero_to_seven_days_after_creation(scale_one):
    dsn, _ = scale_one
    for table in ("sales_order", "purchase_order"):
        spread = _rows(
            dsn,
            f"SELECT DISTINCT agreed_delivery_date::date - created_at::date FROM {table} "  # noqa: S608
            f"UNION SELECT DISTINCT agreed_payment_date::date - created_at::date FROM {table}",
        )
        assert sorted(d for (d,) in spread) == list(range(8)), table
        assert _one(
            dsn, f"SELECT count(*) FROM {table} WHERE agreed_payment_date !~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}$'"
        ) == (0,)  # noqa: S608
    weekend = _one(dsn, "SELECT count(*) FROM sales_order WHERE extract(isodow FROM agreed_delivery_date::date) > 5")
    assert weekend[0] > 0


def test_due_payments_flip_in_one_0755_batch_per_weekday(scale_one):
    dsn, _ = scale_one
    batches = _rows(
        dsn,
        "SELECT payment_date, count(*), count(DISTINCT last_updated), min(last_updated), "
        "bool_and(created_at < last_updated) FROM payment WHERE paid GROUP BY payment_date ORDER BY 1",
    )
    assert len(batches) > 500
    for payment_date, _rows_in_batch, distinct_stamps, stamp, created_before in batches:
        assert distinct_stamps == 1 and created_before
        assert stamp.date() == date.fromisoformat(payment_date) and stamp.weekday() < 5
        assert time(7, 55, 11) <= stamp.time() < time(7, 55, 12)
    assert 15 <= sum(b[1] for b in batches) / len(batches) <= 22
    unpaid = _one(
        dsn,
        "SELECT count(*) FILTER (WHERE last_updated <> created_at), "
        "count(*) FILTER (WHERE payment_date::date <= %s AND extract(isodow FROM payment_date::date) < 6 "
        "                   AND created_at::date < payment_date::date), count(*) FROM payment WHERE NOT paid",
        (SPAN_END,),
    )
    assert unpaid[:2] == (0, 0) and unpaid[2] > 0  # weekend, same-day and future payments only


# --- the command, determinism ----------------------------------------------------------------------
def test_seed_refuses_a_source_with_rows_unless_replace(fresh_db, monkeypatch, capsys):
    monkeypatch.setenv("GAMBOGE_SOURCE_DSN", fresh_db)
    argv = ["seed", "--scale", "0.1", "--start", "2024-03-04", "--days", "20", "--seed", "3"]
    assert cli.main(argv) == 0
    first = capsys.readouterr().out
    assert "sales_order" in first and "payment_type" in first
    before = _digest(fresh_db)
    assert cli.main(argv) == 1
    assert "already holds ToteSys rows" in capsys.readouterr().err
    assert _digest(fresh_db) == before
    assert cli.main([*argv, "--replace"]) == 0
    counts_only = [line for line in first.splitlines() if not line.startswith("seeded in")]
    assert capsys.readouterr().out.splitlines()[:-1] == counts_only
    assert _digest(fresh_db) == before


def test_seed_fills_an_existing_empty_schema_with_foreign_keys_enforced(fresh_db):
    with psycopg.connect(fresh_db) as conn:
        conn.execute(schema.source_ddl())
    counts = seed_source(fresh_db, scale=0.1, start=date(2024, 3, 4), days=10)
    assert counts["payment"] == counts["sales_order"] + counts["purchase_order"] > 0


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(pg_server):
    dsns = [_new_database(pg_server) for _ in range(3)]
    try:
        for dsn, seed in zip(dsns, (7, 7, 8)):
            seed_source(dsn, scale=0.1, start=date(2024, 1, 1), days=60, seed=seed)
        same, other = _digest(dsns[0]), _digest(dsns[2])
        assert _digest(dsns[1]) == same
        assert other["sales_order"] != same["sales_order"] and other["currency"] == same["currency"]
        for dsn in dsns[:2]:
            simulate(dsn, 2, seed_value=5)
        assert _digest(dsns[0]) == _digest(dsns[1])
    finally:
        for dsn in dsns:
            _drop_database(pg_server, dsn)


def test_scale_sets_the_volume(fresh_db):
    counts = seed_source(fresh_db, scale=0.1, start=START)
    assert 1000 <= counts["sales_order"] <= 1250 and 400 <= counts["purchase_order"] <= 560
    assert 120 <= counts["design"] <= 200  # designs grow with the square root of the scale
    assert counts["staff"] == 20


# --- simulate ---------------------------------------------------------------------------------------
def _changes(before: dict, after: dict) -> dict:
    """What a run changed, read off the table contents: per table, inserted / paid-flipped / silent."""
    changes = {}
    for table in GENERATED:
        old, new = before[table], after[table]
        assert set(old) <= set(new), "rows were deleted"
        inserted = set(new) - set(old)
        changed = {k for k in old if new[k] != old[k]}
        silent = {k for k in changed if new[k]["last_updated"] == old[k]["last_updated"]}
        flipped = {k for k in new if new[k].get("paid") and not old.get(k, {}).get("paid")}
        visible = changed - silent
        # A visible change is only ever a payment flipping to paid (paid and last_updated, nothing else).
        for k in visible:
            assert table == "payment" and k in flipped
            assert {c for c in new[k] if new[k][c] != old[k][c]} == {"paid", "last_updated"}
        changes[table] = {"inserted": len(inserted), "paid_flipped": len(flipped), "silently_updated": len(silent)}
    return changes


def test_simulate_changes_exactly_what_it_reports(fresh_db, monkeypatch, capsys):
    seed_source(fresh_db, scale=0.1, start=date(2024, 6, 3), days=40, seed=1)
    monkeypatch.setenv("GAMBOGE_SOURCE_DSN", fresh_db)
    before = _snapshot(fresh_db)
    newest = max(datetime.fromisoformat(r["created_at"]) for r in before["sales_order"].values())
    report = simulate(fresh_db, 3, seed_value=2)
    after = _snapshot(fresh_db)
    assert _changes(before, after) == report["changes"]
    changes = report["changes"]
    for table in GENERATED:
        assert changes[table]["inserted"] > 0 or table == "design"
    assert changes["payment"]["paid_flipped"] > 0
    for table in ("sales_order", "purchase_order", "design"):
        assert changes[table]["silently_updated"] >= 1
    assert (
        changes["transaction"]["inserted"] == changes["sales_order"]["inserted"] + changes["purchase_order"]["inserted"]
    )

    # New rows: the next three working days, office hours, ids continuing from the old maximum.
    assert report["first"] > newest.date() and report["first"].weekday() < 5
    new_days = {
        datetime.fromisoformat(r["created_at"]).date()
        for k, r in after["sales_order"].items()
        if k not in before["sales_order"]
    }
    assert new_days <= {report["first"] + timedelta(days=n) for n in range(5)} and len(new_days) == 3
    assert all(d.weekday() < 5 for d in new_days)
    assert min(k for k in after["payment"] if k not in before["payment"]) == max(before["payment"]) + 1

    # Each simulated day's flips share one last_updated at 07:55:11.xxx on that day.
    flipped = [r for k, r in after["payment"].items() if r["paid"] and not before["payment"].get(k, {}).get("paid")]
    by_day = {}
    for row in flipped:
        by_day.setdefault(row["payment_date"], set()).add(row["last_updated"])
    assert all(len(stamps) == 1 for stamps in by_day.values())
    for day, (stamp,) in by_day.items():
        moment = datetime.fromisoformat(stamp)
        assert moment.date() == date.fromisoformat(day) and time(7, 55, 11) <= moment.time() < time(7, 55, 12)

    # Silent updates touch only the documented columns.
    allowed = {
        "sales_order": {"design_id", "staff_id", "agreed_delivery_date", "agreed_delivery_location_id"},
        "purchase_order": {"staff_id", "item_code", "agreed_delivery_date", "agreed_delivery_location_id"},
        "design": {"file_location"},
    }
    for table, columns in allowed.items():
        for key, old in before[table].items():
            new = after[table][key]
            assert {c for c in old if old[c] != new[c]} <= columns

    # A second run continues after the first, and the CLI prints the same kind of report.
    assert cli.main(["simulate", "--days", "2", "--seed", "2"]) == 0
    printed = capsys.readouterr().out
    again = _snapshot(fresh_db)
    lines = {line.split()[0]: line.split()[1:] for line in printed.splitlines()[2:7]}
    for table, counts in _changes(after, again).items():
        assert [int(n.replace(",", "")) for n in lines[table]] == [
            counts["inserted"],
            counts["paid_flipped"],
            counts["silently_updated"],
        ]
    second_new = [
        datetime.fromisoformat(r["created_at"]).date()
        for k, r in again["sales_order"].items()
        if k not in after["sales_order"]
    ]
    assert min(second_new) > max(new_days)


def test_simulate_needs_a_seeded_source(fresh_db, monkeypatch, capsys):
    with psycopg.connect(fresh_db) as conn:
        conn.execute(schema.source_ddl())
    monkeypatch.setenv("GAMBOGE_SOURCE_DSN", fresh_db)
    assert cli.main(["simulate", "--days", "1"]) == 1
    assert "gamboge seed" in capsys.readouterr().err


# --- the real snapshot, when it is on this machine ---------------------------------------------------


@pytest.mark.skipif(not LIVE_PARQUET.exists(), reason="no ToteSys snapshot on this machine")
def test_shapes_and_ranges_match_the_live_snapshot(scale_one):
    pq = pytest.importorskip("pyarrow.parquet")
    dsn, _ = scale_one
    for table in schema.SOURCE_TABLE_NAMES:
        live_columns = pq.read_schema(LIVE_PARQUET / f"{table}.parquet").names
        assert [c for c in live_columns if not c.startswith("__")] == schema.source_table(table).column_names
    for table, column in (
        ("sales_order", "units_sold"),
        ("sales_order", "unit_price"),
        ("purchase_order", "item_quantity"),
        ("purchase_order", "item_unit_price"),
    ):
        live = pq.read_table(LIVE_PARQUET / f"{table}.parquet", columns=[column]).column(column).to_pylist()
        ours = _one(dsn, f"SELECT min({column}), max({column}), avg({column}) FROM {table}")  # noqa: S608
        low, high, mean = min(live), max(live), sum(live) / len(live)
        span = high - low
        assert abs(float(ours[0]) - low) <= span * 0.05 and abs(float(ours[1]) - high) <= span * 0.05, column
        assert abs(float(ours[2]) - mean) <= span * 0.05, column
    live_paid = pq.read_table(LIVE_PARQUET / "payment.parquet", columns=["paid"]).column("paid").to_pylist()
    ours_paid = _one(dsn, "SELECT avg(paid::int) FROM payment")[0]
    assert abs(float(ours_paid) - sum(live_paid) / len(live_paid)) < 0.1


def test_money_is_exact_decimal(scale_one):
    dsn, _ = scale_one
    amount, units, price = _one(
        dsn,
        "SELECT p.payment_amount, s.units_sold, s.unit_price FROM payment p "
        'JOIN "transaction" t USING (transaction_id) JOIN sales_order s USING (sales_order_id) '
        "ORDER BY p.payment_id LIMIT 1",
    )
    assert isinstance(amount, Decimal) and isinstance(price, Decimal) and amount == units * price
