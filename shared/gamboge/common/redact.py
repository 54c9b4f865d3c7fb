"""Keeping secrets out of what Gamboge prints: error messages, logs and summaries.

A database driver's error text can carry what it was given (a DSN, a password, the host's reply
over several lines); every message built from one goes through one of these first.

Imported by the Python-shell jobs: Python 3.9 compatible. psycopg is imported only by
``dsn_without_password``, so ``gamboge.common`` imports without it.
"""

from typing import Iterable, Optional


def redact(message: str, secrets: Iterable[Optional[str]]) -> str:
    """``message`` with every (non-empty) secret in it replaced by ``***``, stripped."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message.strip()


def dsn_without_password(dsn: str) -> str:
    """A libpq DSN without its password (unchanged when it has none), fit to print."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    return make_conninfo("", **{k: v for k, v in params.items() if k != "password"}) if "password" in params else dsn


def one_line(exc: BaseException, line: int = 0) -> str:
    """One line of an exception's text (``line`` indexes its lines, -1 the last), or its type name
    when the text is empty: the other lines are the driver's context, not the reason."""
    text = str(exc).strip()
    return text.splitlines()[line] if text else type(exc).__name__
