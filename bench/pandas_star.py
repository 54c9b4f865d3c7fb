"""The star schema the way a Lambda + pandas pipeline builds it: read JSON Lines, merge, write Parquet.

A straightforward implementation with the same semantics as the transform's full build: latest
version per key for the dimensions (``sort_values`` + ``drop_duplicates``), one row per distinct
fact version (``drop_duplicates`` over the fact columns; no content hash), derived date and time
columns, a contiguous dim_date, currency names from pycountry, money as ``Decimal``. Everything
is held in memory at once, which is why the benchmark stops using it above scale 10.
"""

import re
from decimal import Decimal
from pathlib import Path
from typing import Dict, List

import pandas as pd
import pycountry

from gamboge.common import schema
from gamboge.transform import star, star_sources

RUN_ID = re.compile(r"([^/]+)-[0-9]+\.jsonl(\.gz)?$")
CENT = Decimal("0.01")


def read_source(table: schema.Table, paths: List[str]) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = pd.read_json(path, lines=True, dtype=False, convert_dates=False)
        frame["_landing_run_id"] = RUN_ID.search(path).group(1)
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=table.column_names)
    for column in table.columns:
        values = df[column.name]
        if column.type == schema.TIMESTAMP:
            df[column.name] = pd.to_datetime(values, format="ISO8601")
        elif column.type == schema.TEXT_DATE:
            df[column.name] = pd.to_datetime(values, format="%Y-%m-%d").dt.date
        elif column.type == schema.MONEY:
            df[column.name] = values.map(lambda v: None if pd.isna(v) else Decimal(repr(v)).quantize(CENT))
        elif column.type == schema.INT and column.nullable:
            df[column.name] = values.astype("Int64")
    return df


def latest(df: pd.DataFrame, key: str) -> pd.DataFrame:
    ordered = df.sort_values([key, "last_updated", "_landing_run_id"], kind="stable")
    return ordered.drop_duplicates(key, keep="last")


def time_of_day(ts: pd.Series) -> pd.Series:
    whole = ts.dt.strftime("%H:%M:%S")
    millis = (ts.dt.microsecond // 1000).map("{:03d}".format)
    return whole.where(millis == "000", whole + "." + millis)


def dimensions(cur: Dict[str, pd.DataFrame]) -> Dict[str, pd.DataFrame]:
    names = pd.DataFrame(
        [(c.alpha_3, c.name) for c in pycountry.currencies], columns=["currency_code", "currency_name"]
    )
    currency = cur["currency"].merge(names, on="currency_code", how="left")
    currency["currency_name"] = currency["currency_name"].fillna(currency["currency_code"])
    address = cur["address"]
    legal = address.rename(
        columns={
            "address_id": "legal_address_id",
            "address_line_1": "counterparty_legal_address_line_1",
            "address_line_2": "counterparty_legal_address_line_2",
            "district": "counterparty_legal_district",
            "city": "counterparty_legal_city",
            "postal_code": "counterparty_legal_postal_code",
            "country": "counterparty_legal_country",
            "phone": "counterparty_legal_phone_number",
        }
    )
    built = {
        "dim_staff": cur["staff"].merge(
            cur["department"][["department_id", "department_name", "location"]], on="department_id", how="left"
        ),
        "dim_location": address.rename(columns={"address_id": "location_id"}),
        "dim_currency": currency,
        "dim_design": cur["design"],
        "dim_counterparty": cur["counterparty"].merge(legal, on="legal_address_id", how="left"),
        "dim_payment_type": cur["payment_type"],
        "dim_transaction": cur["transaction"],
    }
    return {dim: df[[c.name for c in schema.star_table(dim).data_columns]] for dim, df in built.items()}


def fact(name: str, rows: pd.DataFrame) -> pd.DataFrame:
    table = schema.star_table(name)
    df = rows.rename(columns={"staff_id": "sales_staff_id"}) if name == "fact_sales_order" else rows.copy()
    df["created_date"] = df["created_at"].dt.date
    df["created_time"] = time_of_day(df["created_at"])
    df["last_updated_date"] = df["last_updated"].dt.date
    df["last_updated_time"] = time_of_day(df["last_updated"])
    data = [c.name for c in table.data_columns]
    df = df.sort_values("_landing_run_id", kind="stable").drop_duplicates(data, keep="first")
    out = df[data].copy()
    out["landing_run_id"] = df["_landing_run_id"]
    out["created_month"] = df["created_at"].dt.strftime("%Y-%m")
    return out


def dim_date(first, last) -> pd.DataFrame:
    days = pd.date_range(first, last, freq="D")
    return pd.DataFrame(
        {
            "date_id": days.date,
            "year": days.year,
            "month": days.month,
            "day": days.day,
            "day_of_week": days.dayofweek + 1,
            "day_name": days.day_name(),
            "month_name": days.month_name(),
            "quarter": days.quarter,
        }
    )


def build(files: Dict[str, List[str]], out_dir: str) -> Dict[str, int]:
    """Build the 11 star tables from landing files (local paths by source table) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    source = {t.name: read_source(t, files[t.name]) for t in schema.SOURCE_TABLES}
    cur = {
        name: latest(source[name], schema.source_table(name).primary_key) for name in star_sources.CURRENT_STATE_TABLES
    }
    counts = {}
    for dim, df in dimensions(cur).items():
        df.to_parquet(out / f"{dim}.parquet", index=False)
        counts[dim] = len(df)
    lo, hi = [], []
    for name, src in star_sources.FACT_SOURCES.items():
        df = fact(name, source[src])
        for column in star.date_columns(name):
            lo.append(df[column].min())
            hi.append(df[column].max())
        df.to_parquet(out / name, partition_cols=["created_month"], index=False)
        counts[name] = len(df)
    calendar = dim_date(min(lo), max(hi))
    calendar.to_parquet(out / "dim_date.parquet", index=False)
    counts["dim_date"] = len(calendar)
    return counts
