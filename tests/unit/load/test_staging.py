"""Staging table names (no database, no Spark session)."""

import hashlib

from gamboge.load import staging


def test_a_staging_name_is_the_batch_slug_and_the_table():
    name = staging.staging_table_name("20240102T000000000000Z-aaaaaa", "fact_payment")
    assert name == "gamboge_stg_20240102t000000000000z_aaaaaa_fact_payment"


def test_a_batch_id_too_long_for_postgresql_is_hashed():
    batch_id = "x" * 80
    name = staging.staging_table_name(batch_id, "fact_purchase_order")
    assert name == f"gamboge_stg_{hashlib.sha256(batch_id.encode()).hexdigest()[:16]}_fact_purchase_order"
    assert len(name) <= staging.MAX_IDENTIFIER == 63
