"""Pipeline workspaces for whole-pipeline tests: a seeded template source, copies of it, `gamboge`.

Every workspace gets its own copy of one seeded template database (CREATE DATABASE … TEMPLATE),
its own empty warehouse and its own lake, so a crashed run and a clean run start from identical
sources. The template also carries hostile text (quotes, SQL injection attempts, control
characters, non-ASCII) so every whole-pipeline test proves it survives verbatim.

The fixtures are session-scoped: the clean run at each scale is made once and shared by every
module that imports them (test_faults, test_security).
"""

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import psycopg
import pytest

from gamboge.common import schema
from gamboge.dev import seed

# Every workspace connects with this password. The embedded server trusts 127.0.0.1, so the runs
# succeed, and tests/e2e/test_security.py greps everything a run printed or wrote for it.
PASSWORD_MARKER = "pw-MARKER-5e1f0c2d9b"

# Values that break string-built SQL, JSON or CSV handling; each must reach the warehouse verbatim.
HOSTILE = {
    "first_name": "Robert'); DROP TABLE staff;--",
    "last_name": "O'Keefe",
    "email_address": "irving.o'keefe@terrifictotes.com",
    "design_name": 'Bobby"; DELETE FROM dim_design; --',
    "file_location": "/tmp/x'||(SELECT pg_sleep(5))||'",
    "file_name": "naïve \\N tab\tnewline\n 🙂 $$ %s {0}.json",
    "item_code": "X'); DROP TABLE purchase_order;--",
    "counterparty_legal_name": 'O\'Reilly & Sons "Ltd" ; TRUNCATE fact_payment',
}


def with_password(dsn, password=PASSWORD_MARKER):
    """postgresql://user@host… → postgresql://user:password@host…"""
    user, rest = dsn.split("@", 1)
    return f"{user}:{password}@{rest}"


def add_hostile_rows(dsn):
    """A staff member, a design, a counterparty and orders that use them, inserted as parameters."""
    h = HOSTILE
    with psycopg.connect(dsn) as conn:
        stamp = conn.execute("SELECT max(last_updated) FROM sales_order").fetchone()[0]
        department_id, address_id, currency_id = conn.execute(
            "SELECT (SELECT min(department_id) FROM department), (SELECT min(address_id) FROM address), "
            "(SELECT min(currency_id) FROM currency)"
        ).fetchone()
        staff_id = conn.execute(
            "INSERT INTO staff (first_name, last_name, department_id, email_address, created_at, last_updated) "
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING staff_id",
            (h["first_name"], h["last_name"], department_id, h["email_address"], stamp, stamp),
        ).fetchone()[0]
        design_id = conn.execute(
            "INSERT INTO design (design_name, file_location, file_name, created_at, last_updated) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING design_id",
            (h["design_name"], h["file_location"], h["file_name"], stamp, stamp),
        ).fetchone()[0]
        counterparty_id = conn.execute(
            "INSERT INTO counterparty (counterparty_legal_name, legal_address_id, commercial_contact, "
            "delivery_contact, created_at, last_updated) VALUES (%s, %s, %s, %s, %s, %s) RETURNING counterparty_id",
            (h["counterparty_legal_name"], address_id, "Mr O'Brien", None, stamp, stamp),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, "
            "unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id) "
            "VALUES (%s, %s, %s, %s, %s, 7, 3.14, %s, '2024-02-29', '2024-03-01', %s)",
            (stamp, stamp, design_id, staff_id, counterparty_id, currency_id, address_id),
        )
        conn.execute(
            "INSERT INTO purchase_order (created_at, last_updated, staff_id, counterparty_id, item_code, "
            "item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, "
            "agreed_delivery_location_id) VALUES (%s, %s, %s, %s, %s, 2, 9.99, %s, '2024-02-29', '2024-03-01', %s)",
            (stamp, stamp, staff_id, counterparty_id, h["item_code"], currency_id, address_id),
        )


def business_checksum_sql(table: schema.StarTable) -> str:
    columns = ", ".join(schema.quote_ident(c.name) for c in table.data_columns)
    return (
        f"SELECT count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
        f"FROM (SELECT ROW({columns}) AS r FROM {schema.quote_ident(table.name)}) t"
    )


def warehouse_checksums(dsn):
    with psycopg.connect(dsn) as conn:
        return {t.name: conn.execute(business_checksum_sql(t)).fetchone() for t in schema.STAR_TABLES}


class Sources:
    """One seeded template database per scale; every workspace gets an identical copy of it."""

    def __init__(self, pg_server):
        self.pg_server = pg_server
        self.templates = {}

    def template(self, scale):
        if scale not in self.templates:
            name = "tpl_" + uuid.uuid4().hex[:8]
            with psycopg.connect(self.pg_server.dsn("postgres"), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            seed.seed_source(self.pg_server.dsn(name), scale=scale, seed=21)
            add_hostile_rows(self.pg_server.dsn(name))
            self.templates[scale] = name
        return self.templates[scale]

    def workspace(self, scale, home):
        names = {"source": "src_" + uuid.uuid4().hex[:8], "warehouse": "wh_" + uuid.uuid4().hex[:8]}
        with psycopg.connect(self.pg_server.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{names["source"]}" TEMPLATE "{self.template(scale)}"')
            conn.execute(f'CREATE DATABASE "{names["warehouse"]}"')
        env = dict(
            os.environ,
            GAMBOGE_HOME=str(home),
            GAMBOGE_LAKE=(home / "lake").as_uri(),
            GAMBOGE_SOURCE_DSN=with_password(self.pg_server.dsn(names["source"])),
            GAMBOGE_WAREHOUSE_DSN=with_password(self.pg_server.dsn(names["warehouse"])),
            GAMBOGE_SPARK_MASTER="local[2]",
            GAMBOGE_SPARK_DRIVER_MEMORY="2g",
        )
        env.pop("GAMBOGE_CRASH_AT", None)
        return {
            "env": env,
            "home": home,
            "lake": env["GAMBOGE_LAKE"],
            **{k: env[f"GAMBOGE_{k.upper()}_DSN"] for k in names},
        }


def gamboge(workspace, *argv, **extra_env):
    """`gamboge ARGV…` as a user runs it, in the workspace's environment."""
    return subprocess.run(
        [sys.executable, "-m", "gamboge.cli", *argv],
        capture_output=True,
        text=True,
        env=dict(workspace["env"], **extra_env),
        timeout=1800,
    )


@pytest.fixture(scope="session")
def sources(pg_server):
    return Sources(pg_server)


@pytest.fixture(scope="session")
def clean_runs(sources, tmp_path_factory):
    """scale → (workspace, checksums) of one uninterrupted run, made on first use."""
    cache = {}

    def get(scale):
        if scale not in cache:
            workspace = sources.workspace(scale, tmp_path_factory.mktemp("clean"))
            result = gamboge(workspace, "run")
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
            assert "check: OK" in result.stdout
            workspace["clean_run"] = result
            cache[scale] = (workspace, warehouse_checksums(workspace["warehouse"]))
        return cache[scale]

    return get


@contextlib.contextmanager
def seeded_source_env(pg_server, home: Path, scale: float, seed_value: int) -> Iterator[str]:
    """A new source database seeded at ``scale``, with the environment every stage reads pointing
    at it, at ``home`` and at a lake below it, for the block; yields the source's DSN."""
    name = "src_" + uuid.uuid4().hex[:8]
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAMBOGE_HOME", str(home))
        mp.setenv("GAMBOGE_LAKE", (home / "lake").as_uri())
        mp.setenv("GAMBOGE_SOURCE_DSN", pg_server.dsn(name))
        seed.seed_source(pg_server.dsn(name), scale=scale, seed=seed_value)
        yield pg_server.dsn(name)
