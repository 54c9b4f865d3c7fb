"""The load's Glue connection fallback: when extract_jdbc_conf returns no credentials, the secret
the Glue connection names (SECRET_ID) is read through boto3, here against a moto server."""

import json
import uuid

import boto3
import pytest

from gamboge.load import connection


def unique(name):
    """moto's state lasts the test session: every test names its own connection and secret."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


class StubGlueContext:
    def __init__(self, conf):
        self.conf = conf

    def extract_jdbc_conf(self, connection_name):
        return dict(self.conf)


def glue_connection(name, url, secret_id=None):
    properties = {"JDBC_CONNECTION_URL": url}
    if secret_id:
        properties["SECRET_ID"] = secret_id
    boto3.client("glue").create_connection(
        ConnectionInput={"Name": name, "ConnectionType": "JDBC", "ConnectionProperties": properties}
    )


def loader_secret(name, **document):
    return boto3.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps(document))["ARN"]


def test_missing_credentials_are_read_from_the_connections_secret(aws):
    url, name = "jdbc:postgresql://wh.internal:5432/warehouse", unique("gamboge-warehouse")
    secret = loader_secret(unique("gamboge/loader"), username="gamboge_loader", password="from-the-secret", dbname="x")
    glue_connection(name, url, secret_id=secret)
    target = connection.warehouse_from_glue(StubGlueContext({"fullUrl": url}), name)
    assert target.connect_kwargs["user"] == "gamboge_loader"
    assert target.connect_kwargs["password"] == "from-the-secret"
    assert target.connect_kwargs["dbname"] == "warehouse"  # the URL's database wins over the secret's
    assert target.jdbc_properties == {
        "driver": "org.postgresql.Driver",
        "user": "gamboge_loader",
        "password": "from-the-secret",
    }
    assert "from-the-secret" not in target.jdbc_url and "from-the-secret" not in target.label


def test_a_url_without_a_database_takes_the_secrets(aws):
    url = "jdbc:postgresql://wh.internal:5432"
    loader_secret("gamboge/loader", username="gamboge_loader", password="pw", dbname="warehouse")
    glue_connection("gamboge-warehouse", url, secret_id="gamboge/loader")
    target = connection.warehouse_from_glue(
        StubGlueContext({"url": url, "user": "gamboge_loader"}), "gamboge-warehouse"
    )
    assert target.label == "wh.internal:5432/warehouse"
    assert target.connect_kwargs["password"] == "pw"


def test_a_connection_with_neither_credentials_nor_a_secret_is_refused(aws):
    url, name = "jdbc:postgresql://wh.internal:5432/warehouse", unique("bare")
    glue_connection(name, url)
    with pytest.raises(
        connection.LoadError, match=rf"Glue connection '{name}' has neither credentials nor a SECRET_ID"
    ):
        connection.warehouse_from_glue(StubGlueContext({"fullUrl": url}), name)
