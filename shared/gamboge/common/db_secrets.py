"""Database credentials from AWS Secrets Manager, in the shape RDS-managed secrets use.

The secret string is JSON with ``host``, ``port``, ``dbname``, ``username`` and ``password``. TLS is
required unless the secret itself says otherwise (an optional ``sslmode`` key, which only a test or
a private development database should set). Values never appear in messages: errors name the
secret and the missing keys only.

Imported by the ingest job: Python 3.9 compatible.
"""

import json
from typing import Dict

from gamboge.common import aws
from gamboge.common.errors import GambogeError

REQUIRED_KEYS = ("host", "dbname", "username", "password")
DEFAULT_PORT = 5432
DEFAULT_SSLMODE = "require"
CONNECT_TIMEOUT_SECONDS = 10


class SecretError(GambogeError):
    """The secret cannot be read or does not describe a database connection."""


def read_secret_json(secret_id: str) -> Dict[str, object]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = aws.client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise SecretError(f"cannot read secret {secret_id!r} from Secrets Manager: {code}") from None
    except BotoCoreError as exc:
        raise SecretError(f"cannot reach Secrets Manager for secret {secret_id!r}: {type(exc).__name__}") from None
    try:
        document = json.loads(response.get("SecretString") or "")
    except ValueError:
        raise SecretError(f"secret {secret_id!r} is not a JSON object") from None
    if not isinstance(document, dict):
        raise SecretError(f"secret {secret_id!r} is not a JSON object")
    return document


def connection_kwargs(secret: Dict[str, object], secret_id: str) -> Dict[str, str]:
    """psycopg.connect() keyword arguments from an RDS-shaped secret document."""
    missing = [key for key in REQUIRED_KEYS if not secret.get(key)]
    if missing:
        raise SecretError("secret {!r} lacks {}".format(secret_id, ", ".join(missing)))
    return {
        "host": str(secret["host"]),
        "port": str(secret.get("port") or DEFAULT_PORT),
        "dbname": str(secret["dbname"]),
        "user": str(secret["username"]),
        "password": str(secret["password"]),
        "sslmode": str(secret.get("sslmode") or DEFAULT_SSLMODE),
        "connect_timeout": str(CONNECT_TIMEOUT_SECONDS),
    }


def rds_connection_kwargs(secret_id: str) -> Dict[str, str]:
    return connection_kwargs(read_secret_json(secret_id), secret_id)
