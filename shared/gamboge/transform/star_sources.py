"""Which source tables each star table is built from: plain data, no Spark.

star.py and transform.py build by these registries; ``gamboge check`` and ``gamboge run``'s summary
read them too, without importing PySpark.
"""

from typing import Dict, List, Optional

from gamboge.common import schema

# Which current source tables each dimension is built from: first its own table (where its key
# comes from), then the lookups it joins.
DIMENSION_SOURCES: Dict[str, List[str]] = {
    "dim_staff": ["staff", "department"],
    "dim_location": ["address"],
    "dim_currency": ["currency"],
    "dim_design": ["design"],
    "dim_counterparty": ["counterparty", "address"],
    "dim_payment_type": ["payment_type"],
    "dim_transaction": ["transaction"],
}
FACT_SOURCES: Dict[str, str] = {
    "fact_sales_order": "sales_order",
    "fact_purchase_order": "purchase_order",
    "fact_payment": "payment",
}
CURRENT_STATE_TABLES = sorted({t for sources in DIMENSION_SOURCES.values() for t in sources})

# The source table whose rows a star table counts (a fact: one version per current row at least;
# a dimension: one row per row of its own table); None for dim_date, which no source table feeds.
MAIN_SOURCE: Dict[str, Optional[str]] = {
    t.name: FACT_SOURCES.get(t.name) or DIMENSION_SOURCES.get(t.name, [None])[0] for t in schema.STAR_TABLES
}
