"""Warehouse targets from a DSN and from a Glue JDBC connection whose credentials are resolved
(no database, no AWS: the Glue context is a stub). The fallback through the connection's
SECRET_ID is tested beside the load tests, in tests/load/test_load_connection.py."""

from gamboge.load import connection


class StubGlueContext:
    def __init__(self, conf):
        self.conf = conf
        self.asked = []

    def extract_jdbc_conf(self, connection_name):
        self.asked.append(connection_name)
        return dict(self.conf)


def test_a_glue_connection_with_resolved_credentials_gives_both_addresses_with_tls():
    glue = StubGlueContext(
        {
            "fullUrl": "jdbc:postgresql://wh.abc.eu-west-2.rds.amazonaws.com:5432/warehouse",
            "url": "jdbc:postgresql://wh.abc.eu-west-2.rds.amazonaws.com:5432",
            "user": "gamboge_loader",
            "password": "pw-from-glue",
        }
    )
    target = connection.warehouse_from_glue(glue, "gamboge-warehouse")
    assert glue.asked == ["gamboge-warehouse"]
    assert target.connect_kwargs == {
        "host": "wh.abc.eu-west-2.rds.amazonaws.com",
        "port": "5432",
        "dbname": "warehouse",
        "user": "gamboge_loader",
        "password": "pw-from-glue",
        "connect_timeout": "10",
        "application_name": "gamboge-load",
        "sslmode": "require",
    }
    assert target.jdbc_url == (
        "jdbc:postgresql://wh.abc.eu-west-2.rds.amazonaws.com:5432/warehouse"
        "?reWriteBatchedInserts=true&connectTimeout=10&sslmode=require"
    )
    assert target.jdbc_properties == {
        "driver": "org.postgresql.Driver",
        "user": "gamboge_loader",
        "password": "pw-from-glue",
    }
    assert target.label == "wh.abc.eu-west-2.rds.amazonaws.com:5432/warehouse"


def test_without_full_url_the_plain_url_is_used_and_the_port_defaults():
    glue = StubGlueContext({"url": "jdbc:postgresql://db.internal/wh", "user": "u", "password": "p"})
    target = connection.warehouse_from_glue(glue, "c")
    assert target.label == "db.internal:5432/wh"
    assert target.jdbc_url.startswith("jdbc:postgresql://db.internal:5432/wh?")


def test_a_key_value_dsn_without_password_or_tls():
    target = connection.warehouse_from_dsn("host=127.0.0.1 port=55432 dbname=warehouse user=gamboge")
    assert target.connect_kwargs == {
        "host": "127.0.0.1",
        "port": "55432",
        "dbname": "warehouse",
        "user": "gamboge",
        "connect_timeout": "10",
        "application_name": "gamboge-load",
    }
    assert target.jdbc_url == (
        "jdbc:postgresql://127.0.0.1:55432/warehouse?reWriteBatchedInserts=true&connectTimeout=10"
    )
    assert target.jdbc_properties == {"driver": "org.postgresql.Driver", "user": "gamboge"}
    assert target.label == "127.0.0.1:55432/warehouse"


def test_a_dsn_without_a_database_names_the_users_database():
    assert connection.warehouse_from_dsn("postgresql://loader@db.example").label == "db.example:5432/loader"
