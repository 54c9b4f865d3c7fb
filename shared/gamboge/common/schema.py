"""The one definition of every table Gamboge reads or writes.

The ToteSys source tables (as the live Prisma-managed database defines them) and the star schema
(as the warehouse specification defines it) are declared here once. Everything else derives from
these objects: the source DDL the seeder creates, the Spark read schemas of the landing zone, the
Spark output schemas, the Glue Data Catalog columns, the warehouse DDL and the tests.

This module is imported by the ingest job, so it must stay Python 3.9 compatible.
"""

from collections import OrderedDict
from typing import Dict, List, NamedTuple, Optional, Tuple

# --- logical types ------------------------------------------------------------------------------
# One small vocabulary, mapped to each backend below. "time" and "timestamp" are naive (ToteSys
# stores timestamp(3) without zone); "time" is stored as an ISO string wherever the backend has no
# time type (Spark, Parquet/Athena) so milliseconds survive exactly.
INT = "int"
TEXT = "text"
MONEY = "numeric(10,2)"
TIMESTAMP = "timestamp"
BOOL = "boolean"
DATE = "date"
TIME = "time"
SERIAL = "serial"
# ToteSys stores agreed/payment dates as text ('2024-02-21'): text in PostgreSQL, a date everywhere
# downstream, and a value that does not parse as a date is a reject.
TEXT_DATE = "text:date"


class Column(NamedTuple):
    name: str
    type: str  # a logical type above, "varchar(N)", or "enum:<pg type name>"
    nullable: bool = False


class ForeignKey(NamedTuple):
    column: str
    ref_table: str
    ref_column: str
    on_delete: str = ""


class Table(NamedTuple):
    name: str
    columns: Tuple[Column, ...]
    primary_key: str
    foreign_keys: Tuple[ForeignKey, ...] = ()
    unique: Tuple[str, ...] = ()

    @property
    def column_names(self) -> List[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")


def _c(name: str, type_: str, nullable: bool = False) -> Column:
    return Column(name, type_, nullable)


CREATED_AT = _c("created_at", TIMESTAMP)
LAST_UPDATED = _c("last_updated", TIMESTAMP)

# --- source: ToteSys ------------------------------------------------------------------------------
# Enum types of the source database, in declaration order.
SOURCE_ENUMS: Dict[str, Tuple[str, ...]] = OrderedDict(
    [
        ("payment_type_name", ("SALES_RECEIPT", "SALES_REFUND", "PURCHASE_PAYMENT", "PURCHASE_REFUND")),
        ("transaction_type", ("SALE", "PURCHASE")),
    ]
)

# Physical column order matters: it is what SELECT * returns (design's last_updated is last).
SOURCE_TABLES: Tuple[Table, ...] = (
    Table(
        "address",
        (
            _c("address_id", INT),
            _c("address_line_1", TEXT),
            _c("address_line_2", TEXT, True),
            _c("district", TEXT, True),
            _c("city", TEXT),
            _c("postal_code", TEXT),
            _c("country", TEXT),
            _c("phone", TEXT),
            CREATED_AT,
            LAST_UPDATED,
        ),
        "address_id",
    ),
    Table(
        "counterparty",
        (
            _c("counterparty_id", INT),
            _c("counterparty_legal_name", TEXT),
            _c("legal_address_id", INT),
            _c("commercial_contact", TEXT, True),
            _c("delivery_contact", TEXT, True),
            CREATED_AT,
            LAST_UPDATED,
        ),
        "counterparty_id",
        (ForeignKey("legal_address_id", "address", "address_id"),),
    ),
    Table(
        "currency",
        (_c("currency_id", INT), _c("currency_code", "varchar(3)"), CREATED_AT, LAST_UPDATED),
        "currency_id",
    ),
    Table(
        "department",
        (
            _c("department_id", INT),
            _c("department_name", TEXT),
            _c("location", TEXT, True),
            _c("manager", TEXT, True),
            CREATED_AT,
            LAST_UPDATED,
        ),
        "department_id",
    ),
    Table(
        "design",
        (
            _c("design_id", INT),
            CREATED_AT,
            _c("design_name", TEXT),
            _c("file_location", TEXT),
            _c("file_name", TEXT),
            LAST_UPDATED,
        ),
        "design_id",
    ),
    Table(
        "payment_type",
        (
            _c("payment_type_id", INT),
            _c("payment_type_name", "enum:payment_type_name"),
            CREATED_AT,
            LAST_UPDATED,
        ),
        "payment_type_id",
    ),
    Table(
        "staff",
        (
            _c("staff_id", INT),
            _c("first_name", TEXT),
            _c("last_name", TEXT),
            _c("department_id", INT),
            _c("email_address", TEXT),
            CREATED_AT,
            LAST_UPDATED,
        ),
        "staff_id",
        (ForeignKey("department_id", "department", "department_id"),),
    ),
    Table(
        "sales_order",
        (
            _c("sales_order_id", INT),
            CREATED_AT,
            LAST_UPDATED,
            _c("design_id", INT),
            _c("staff_id", INT),
            _c("counterparty_id", INT),
            _c("units_sold", INT),
            _c("unit_price", MONEY),
            _c("currency_id", INT),
            _c("agreed_delivery_date", TEXT_DATE),
            _c("agreed_payment_date", TEXT_DATE),
            _c("agreed_delivery_location_id", INT),
        ),
        "sales_order_id",
        (
            ForeignKey("design_id", "design", "design_id"),
            ForeignKey("staff_id", "staff", "staff_id"),
            ForeignKey("counterparty_id", "counterparty", "counterparty_id"),
            ForeignKey("currency_id", "currency", "currency_id"),
            ForeignKey("agreed_delivery_location_id", "address", "address_id"),
        ),
    ),
    Table(
        "purchase_order",
        (
            _c("purchase_order_id", INT),
            CREATED_AT,
            LAST_UPDATED,
            _c("staff_id", INT),
            _c("counterparty_id", INT),
            _c("item_code", TEXT),
            _c("item_quantity", INT),
            _c("item_unit_price", MONEY),
            _c("currency_id", INT),
            _c("agreed_delivery_date", TEXT_DATE),
            _c("agreed_payment_date", TEXT_DATE),
            _c("agreed_delivery_location_id", INT),
        ),
        "purchase_order_id",
        (
            ForeignKey("staff_id", "staff", "staff_id"),
            ForeignKey("counterparty_id", "counterparty", "counterparty_id"),
            ForeignKey("currency_id", "currency", "currency_id"),
            ForeignKey("agreed_delivery_location_id", "address", "address_id"),
        ),
    ),
    Table(
        "transaction",
        (
            _c("transaction_id", INT),
            _c("transaction_type", "enum:transaction_type"),
            _c("sales_order_id", INT, True),
            _c("purchase_order_id", INT, True),
            CREATED_AT,
            LAST_UPDATED,
        ),
        "transaction_id",
        (
            ForeignKey("sales_order_id", "sales_order", "sales_order_id", "SET NULL"),
            ForeignKey("purchase_order_id", "purchase_order", "purchase_order_id", "SET NULL"),
        ),
        ("sales_order_id", "purchase_order_id"),
    ),
    Table(
        "payment",
        (
            _c("payment_id", INT),
            CREATED_AT,
            LAST_UPDATED,
            _c("transaction_id", INT),
            _c("counterparty_id", INT),
            _c("payment_amount", MONEY),
            _c("currency_id", INT),
            _c("payment_type_id", INT),
            _c("paid", BOOL),
            _c("payment_date", TEXT_DATE),
            _c("company_ac_number", INT),
            _c("counterparty_ac_number", INT),
        ),
        "payment_id",
        (
            ForeignKey("transaction_id", "transaction", "transaction_id"),
            ForeignKey("counterparty_id", "counterparty", "counterparty_id"),
            ForeignKey("currency_id", "currency", "currency_id"),
            ForeignKey("payment_type_id", "payment_type", "payment_type_id"),
        ),
        ("transaction_id",),
    ),
)

SOURCE_BY_NAME: Dict[str, Table] = {t.name: t for t in SOURCE_TABLES}
SOURCE_TABLE_NAMES: List[str] = [t.name for t in SOURCE_TABLES]


def source_table(name: str) -> Table:
    try:
        return SOURCE_BY_NAME[name]
    except KeyError:
        raise KeyError("unknown ToteSys table {!r}; known: {}".format(name, ", ".join(SOURCE_TABLE_NAMES))) from None


# --- target: the star schema ----------------------------------------------------------------------
class StarTable(NamedTuple):
    """A warehouse table. Facts carry a surrogate serial record id and a version key."""

    name: str
    kind: str  # "dimension" | "fact"
    columns: Tuple[Column, ...]
    primary_key: str
    foreign_keys: Tuple[ForeignKey, ...] = ()
    natural_key: Optional[str] = None  # facts: the source row id

    @property
    def column_names(self) -> List[str]:
        return [c.name for c in self.columns]

    @property
    def is_fact(self) -> bool:
        return self.kind == "fact"

    @property
    def data_columns(self) -> List[Column]:
        """Columns the pipeline produces (facts: everything but the warehouse-assigned serial)."""
        return [c for c in self.columns if c.type != SERIAL]

    @property
    def version_columns(self) -> List[str]:
        """A fact version is identified by its whole content: silent source updates keep
        last_updated, so id + last_updated alone would collapse two real versions into one."""
        return [c.name for c in self.data_columns] if self.is_fact else [self.primary_key]


def _dim(name: str, cols: Tuple[Column, ...], fks: Tuple[ForeignKey, ...] = ()) -> StarTable:
    return StarTable(name, "dimension", cols, cols[0].name, fks)


def _date_fk(col: str) -> ForeignKey:
    return ForeignKey(col, "dim_date", "date_id")


_VARCHAR = "varchar"

STAR_TABLES: Tuple[StarTable, ...] = (
    _dim(
        "dim_date",
        (
            _c("date_id", DATE),
            _c("year", INT),
            _c("month", INT),
            _c("day", INT),
            _c("day_of_week", INT),
            _c("day_name", _VARCHAR),
            _c("month_name", _VARCHAR),
            _c("quarter", INT),
        ),
    ),
    _dim(
        "dim_staff",
        (
            _c("staff_id", INT),
            _c("first_name", _VARCHAR),
            _c("last_name", _VARCHAR),
            _c("department_name", _VARCHAR),
            # ToteSys department.location is nullable, so the dimension must accept NULL.
            _c("location", _VARCHAR, True),
            _c("email_address", _VARCHAR),
        ),
    ),
    _dim(
        "dim_location",
        (
            _c("location_id", INT),
            _c("address_line_1", _VARCHAR),
            _c("address_line_2", _VARCHAR, True),
            _c("district", _VARCHAR, True),
            _c("city", _VARCHAR),
            _c("postal_code", _VARCHAR),
            _c("country", _VARCHAR),
            _c("phone", _VARCHAR),
        ),
    ),
    _dim(
        "dim_currency",
        (_c("currency_id", INT), _c("currency_code", _VARCHAR), _c("currency_name", _VARCHAR)),
    ),
    _dim(
        "dim_design",
        (
            _c("design_id", INT),
            _c("design_name", _VARCHAR),
            _c("file_location", _VARCHAR),
            _c("file_name", _VARCHAR),
        ),
    ),
    _dim(
        "dim_counterparty",
        (
            _c("counterparty_id", INT),
            _c("counterparty_legal_name", _VARCHAR),
            _c("counterparty_legal_address_line_1", _VARCHAR),
            _c("counterparty_legal_address_line_2", _VARCHAR, True),
            _c("counterparty_legal_district", _VARCHAR, True),
            _c("counterparty_legal_city", _VARCHAR),
            _c("counterparty_legal_postal_code", _VARCHAR),
            _c("counterparty_legal_country", _VARCHAR),
            _c("counterparty_legal_phone_number", _VARCHAR),
        ),
    ),
    _dim("dim_payment_type", (_c("payment_type_id", INT), _c("payment_type_name", _VARCHAR))),
    _dim(
        "dim_transaction",
        (
            _c("transaction_id", INT),
            _c("transaction_type", _VARCHAR),
            _c("sales_order_id", INT, True),
            _c("purchase_order_id", INT, True),
        ),
    ),
    StarTable(
        "fact_sales_order",
        "fact",
        (
            _c("sales_record_id", SERIAL),
            _c("sales_order_id", INT),
            _c("created_date", DATE),
            _c("created_time", TIME),
            _c("last_updated_date", DATE),
            _c("last_updated_time", TIME),
            _c("sales_staff_id", INT),
            _c("counterparty_id", INT),
            _c("units_sold", INT),
            _c("unit_price", MONEY),
            _c("currency_id", INT),
            _c("design_id", INT),
            _c("agreed_payment_date", DATE),
            _c("agreed_delivery_date", DATE),
            _c("agreed_delivery_location_id", INT),
        ),
        "sales_record_id",
        (
            _date_fk("created_date"),
            _date_fk("last_updated_date"),
            ForeignKey("sales_staff_id", "dim_staff", "staff_id"),
            ForeignKey("counterparty_id", "dim_counterparty", "counterparty_id"),
            ForeignKey("currency_id", "dim_currency", "currency_id"),
            ForeignKey("design_id", "dim_design", "design_id"),
            _date_fk("agreed_payment_date"),
            _date_fk("agreed_delivery_date"),
            ForeignKey("agreed_delivery_location_id", "dim_location", "location_id"),
        ),
        "sales_order_id",
    ),
    StarTable(
        "fact_purchase_order",
        "fact",
        (
            _c("purchase_record_id", SERIAL),
            _c("purchase_order_id", INT),
            _c("created_date", DATE),
            _c("created_time", TIME),
            _c("last_updated_date", DATE),
            _c("last_updated_time", TIME),
            _c("staff_id", INT),
            _c("counterparty_id", INT),
            _c("item_code", _VARCHAR),
            _c("item_quantity", INT),
            _c("item_unit_price", MONEY),
            _c("currency_id", INT),
            _c("agreed_delivery_date", DATE),
            _c("agreed_payment_date", DATE),
            _c("agreed_delivery_location_id", INT),
        ),
        "purchase_record_id",
        (
            _date_fk("created_date"),
            _date_fk("last_updated_date"),
            ForeignKey("staff_id", "dim_staff", "staff_id"),
            ForeignKey("counterparty_id", "dim_counterparty", "counterparty_id"),
            ForeignKey("currency_id", "dim_currency", "currency_id"),
            _date_fk("agreed_delivery_date"),
            _date_fk("agreed_payment_date"),
            ForeignKey("agreed_delivery_location_id", "dim_location", "location_id"),
        ),
        "purchase_order_id",
    ),
    StarTable(
        "fact_payment",
        "fact",
        (
            _c("payment_record_id", SERIAL),
            _c("payment_id", INT),
            _c("created_date", DATE),
            _c("created_time", TIME),
            _c("last_updated_date", DATE),
            _c("last_updated_time", TIME),
            _c("transaction_id", INT),
            _c("counterparty_id", INT),
            _c("payment_amount", MONEY),
            _c("currency_id", INT),
            _c("payment_type_id", INT),
            _c("paid", BOOL),
            _c("payment_date", DATE),
        ),
        "payment_record_id",
        (
            _date_fk("created_date"),
            _date_fk("last_updated_date"),
            ForeignKey("transaction_id", "dim_transaction", "transaction_id"),
            ForeignKey("counterparty_id", "dim_counterparty", "counterparty_id"),
            ForeignKey("currency_id", "dim_currency", "currency_id"),
            ForeignKey("payment_type_id", "dim_payment_type", "payment_type_id"),
            _date_fk("payment_date"),
        ),
        "payment_id",
    ),
)

STAR_BY_NAME: Dict[str, StarTable] = {t.name: t for t in STAR_TABLES}
DIMENSIONS: List[StarTable] = [t for t in STAR_TABLES if not t.is_fact]
FACTS: List[StarTable] = [t for t in STAR_TABLES if t.is_fact]


def star_table(name: str) -> StarTable:
    try:
        return STAR_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown star-schema table {name!r}") from None


# --- PostgreSQL rendering -------------------------------------------------------------------------
def quote_ident(name: str) -> str:
    """Quote an identifier for PostgreSQL ("transaction" is a reserved word)."""
    return '"' + name.replace('"', '""') + '"'


def pg_type(type_: str, source: bool = False) -> str:
    """The PostgreSQL type of a logical type (source=True: as the live ToteSys defines it)."""
    if type_.startswith("enum:"):
        return quote_ident(type_[len("enum:") :])
    if type_ == TIMESTAMP:
        return "timestamp(3)"
    if type_ == TEXT_DATE:
        return "text"
    if type_ == _VARCHAR:
        return "varchar"
    if type_ == INT:
        return "integer"
    return type_


def source_ddl() -> str:
    """DDL of the ToteSys source database, identical in shape to the live one."""
    out = []
    for enum, labels in SOURCE_ENUMS.items():
        out.append("CREATE TYPE {} AS ENUM ({});".format(quote_ident(enum), ", ".join(f"'{v}'" for v in labels)))
    for t in SOURCE_TABLES:
        lines = []
        for c in t.columns:
            if c.name == t.primary_key:
                lines.append(f"{quote_ident(c.name)} SERIAL NOT NULL")
                continue
            spec = "{} {}{}".format(quote_ident(c.name), pg_type(c.type, True), "" if c.nullable else " NOT NULL")
            if c.name == "created_at":
                spec += " DEFAULT CURRENT_TIMESTAMP"
            lines.append(spec)
        lines.append("CONSTRAINT {} PRIMARY KEY ({})".format(quote_ident(t.name + "_pkey"), quote_ident(t.primary_key)))
        out.append("CREATE TABLE {} (\n    {}\n);".format(quote_ident(t.name), ",\n    ".join(lines)))
        for u in t.unique:
            out.append(
                "CREATE UNIQUE INDEX {} ON {}({});".format(
                    quote_ident(f"{t.name}_{u}_key"), quote_ident(t.name), quote_ident(u)
                )
            )
    for t in SOURCE_TABLES:
        for fk in t.foreign_keys:
            out.append(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {}({}) "
                "ON DELETE {} ON UPDATE CASCADE;".format(
                    quote_ident(t.name),
                    quote_ident(f"{t.name}_{fk.column}_fkey"),
                    quote_ident(fk.column),
                    quote_ident(fk.ref_table),
                    quote_ident(fk.ref_column),
                    fk.on_delete or "RESTRICT",
                )
            )
    return "\n\n".join(out) + "\n"
