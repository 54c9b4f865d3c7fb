"""The warehouse as the load job reaches it: psycopg for the transaction, a JDBC URL for Spark.

A target is built from a libpq DSN (local runs) or from a Glue JDBC connection (on Glue, TLS
required). The password goes into the connection arguments only, never into a URL or a message.
"""

import urllib.parse
from typing import Any, Dict, NamedTuple, Optional

import psycopg

from gamboge.common import aws, db_secrets
from gamboge.common.errors import GambogeError
from gamboge.common.redact import one_line
from gamboge.spark.jdbc_driver import DRIVER_CLASS


class LoadError(GambogeError):
    """The load cannot proceed; the batch being loaded was rolled back, nothing is half-loaded."""


class WarehouseTarget(NamedTuple):
    """One warehouse, addressed twice: psycopg for the transaction, a JDBC URL for Spark."""

    connect_kwargs: Dict[str, str]  # psycopg.connect(**connect_kwargs)
    jdbc_url: str  # without credentials
    jdbc_properties: Dict[str, str]  # user, password, driver
    label: str  # host:port/dbname, for messages (never the password)

    def connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(**self.connect_kwargs, autocommit=True)
        except psycopg.OperationalError as exc:
            raise LoadError(f"cannot connect to the warehouse {self.label}: {one_line(exc, -1)}") from None


def _jdbc_url(host: str, port: str, dbname: str, sslmode: Optional[str]) -> str:
    params = {"reWriteBatchedInserts": "true", "connectTimeout": str(db_secrets.CONNECT_TIMEOUT_SECONDS)}
    if sslmode:
        params["sslmode"] = sslmode
    return f"jdbc:postgresql://{host}:{port}/{urllib.parse.quote(dbname)}?{urllib.parse.urlencode(params)}"


def _target(host: str, port: str, dbname: str, user: str, password: str, sslmode: Optional[str]) -> WarehouseTarget:
    connect_kwargs = {
        "host": host,
        "port": port,
        "dbname": dbname,
        "user": user,
        "connect_timeout": str(db_secrets.CONNECT_TIMEOUT_SECONDS),
        "application_name": "gamboge-load",
    }
    properties = {"driver": DRIVER_CLASS, "user": user}
    if password:
        connect_kwargs["password"] = password
        properties["password"] = password
    if sslmode:
        connect_kwargs["sslmode"] = sslmode
    return WarehouseTarget(
        connect_kwargs, _jdbc_url(host, port, dbname, sslmode), properties, f"{host}:{port}/{dbname}"
    )


def warehouse_from_dsn(dsn: str) -> WarehouseTarget:
    """A libpq DSN (``postgresql://user:pw@host:port/db`` or ``key=value …``) → both addresses."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return _target(
        host=str(params.get("host") or "localhost"),
        port=str(params.get("port") or 5432),
        dbname=str(params.get("dbname") or params.get("user") or "postgres"),
        user=str(params.get("user") or ""),
        password=str(params.get("password") or ""),
        sslmode=str(params["sslmode"]) if params.get("sslmode") else None,
    )


def warehouse_from_glue(glue_context: Any, connection_name: str) -> WarehouseTarget:
    """The Glue JDBC connection's URL and credentials; TLS required.

    ``extract_jdbc_conf`` returns the URL and, for a connection that stores its credentials in
    Secrets Manager (``SECRET_ID``), usually the resolved user and password as well; when it does
    not, the secret named by the connection is read directly (RDS secret shape).
    """
    conf = glue_context.extract_jdbc_conf(connection_name)
    url = conf.get("fullUrl") or conf["url"]
    parsed = urllib.parse.urlparse(url[len("jdbc:") :])
    dbname = parsed.path.lstrip("/")
    user, password = conf.get("user"), conf.get("password")
    if not (user and password):
        connection = aws.client("glue").get_connection(Name=connection_name, HidePassword=False)["Connection"]
        secret_id = connection.get("ConnectionProperties", {}).get("SECRET_ID")
        if not secret_id:
            raise LoadError(f"Glue connection {connection_name!r} has neither credentials nor a SECRET_ID")
        document = db_secrets.read_secret_json(secret_id)
        user, password = str(document.get("username") or ""), str(document.get("password") or "")
        dbname = dbname or str(document.get("dbname") or "")
    return _target(
        host=parsed.hostname or "",
        port=str(parsed.port or 5432),
        dbname=dbname,
        user=user or "",
        password=password or "",
        sslmode="require",
    )
