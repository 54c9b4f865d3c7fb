"""The load job's own warehouse login: role ``gamboge_loader``, created and rotated from the master user.

The load job never connects as the RDS master user. This module, run once after the first deploy
(the ``warehouse_setup`` Glue Python shell job) and again whenever the password should change:

1. reads the master credentials (the RDS-managed secret, which holds only username and password;
   host, port and database come as arguments);
2. generates a new password and stores the loader's secret document (``gamboge.common.db_secrets`` shape) as
   the pending version of the loader secret, so the password is never held only in memory;
3. as the master user, in one transaction: creates or updates the role (LOGIN, no SUPERUSER,
   CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, member of no role), sets its password, grants
   CONNECT on the database and USAGE + CREATE on the star schema's schema, pins its search_path to
   that schema, and hands it the warehouse tables the master user created before (an older
   deployment loaded as master); the load job creates missing tables itself, so it must own them;
4. promotes the pending version to AWSCURRENT. The old password stops working at step 3.

Only statements that RDS's master user (``rds_superuser``, not a superuser) may run are used. The
password reaches PostgreSQL only as a SCRAM-SHA-256 verifier computed here, so the server's
statement log (``log_statement = ddl`` on the warehouse) never holds it.

Imported by the warehouse_setup Python shell job: Python 3.9 compatible.
"""

import json
from secrets import token_urlsafe
from typing import Any, Dict, List, Optional, Sequence

from gamboge.common import aws, db_secrets, glue_args, logs, workflow
from gamboge.common.errors import GambogeError
from gamboge.common.redact import one_line
from gamboge.warehouse import warehouse

LOADER_ROLE = "gamboge_loader"
DEFAULT_SCHEMA = "public"
PASSWORD_BYTES = 32  # token_urlsafe: 43 characters of [A-Za-z0-9_-], safe in URLs and JDBC properties
PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"

JOB = workflow.one_off_job("warehouse_setup")
SUMMARY = "Glue Python shell job, run once after the first deploy: create or rotate the load job's warehouse role."
log = logs.get("warehouse_setup")


class SetupError(GambogeError):
    """The loader role or its secret cannot be set up; nothing was promoted."""


def new_password() -> str:
    return token_urlsafe(PASSWORD_BYTES)


def password_verifier(conn: Any, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores, computed client-side (libpq), as ALTER ROLE accepts it."""
    return conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()


def _role_attributes(conn: Any, role: str) -> Optional[Dict[str, bool]]:
    row = conn.execute(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin "
        "FROM pg_roles WHERE rolname = %s",
        (role,),
    ).fetchone()
    if row is None:
        return None
    names = ("superuser", "createdb", "createrole", "replication", "bypassrls", "login")
    return dict(zip(names, row))


def _memberships(conn: Any, role: str) -> List[str]:
    rows = conn.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s ORDER BY 1",
        (role,),
    ).fetchall()
    return [r[0] for r in rows]


_FOREIGN_TABLES = """
SELECT c.relname, pg_get_userbyid(c.relowner)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)
  AND pg_get_userbyid(c.relowner) <> %s
ORDER BY c.relname
"""


def ensure_role(conn: Any, password: str, role: str = LOADER_ROLE, schema: str = DEFAULT_SCHEMA) -> Dict[str, Any]:
    """Create or update ``role`` with exactly the loader's privileges, in one transaction on ``conn``.

    ``conn`` is a psycopg connection as the database's master (owner) user. Returns what was done.
    """
    from psycopg import sql

    ident, schema_ident = sql.Identifier(role), sql.Identifier(schema)
    verifier = sql.Literal(password_verifier(conn, role, password))
    with conn.transaction():
        (database, me) = conn.execute("SELECT current_database(), current_user").fetchone()
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None:
            raise SetupError(f"schema {schema!r} does not exist in database {database!r}")
        attributes = _role_attributes(conn, role)
        if attributes is None:
            conn.execute(
                sql.SQL(
                    "CREATE ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                    "PASSWORD {}"
                ).format(ident, verifier)
            )
        else:
            # Only a superuser may change SUPERUSER, REPLICATION or BYPASSRLS (even to "no"), and
            # the RDS master is not one: a role carrying them was changed by hand, so refuse.
            elevated = [name for name in ("superuser", "replication", "bypassrls") if attributes[name]]
            if elevated:
                raise SetupError(
                    f"role {role} exists with {', '.join(elevated).upper()}: a superuser must remove that first"
                )
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD {}").format(ident, verifier)
            )
        groups = _memberships(conn, role)
        if groups:
            raise SetupError(f"role {role} is a member of {', '.join(groups)}: revoke that first")
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident))
        conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(schema_ident, ident))
        conn.execute(
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(
                ident, sql.Identifier(database), schema_ident
            )
        )
        adopted = _adopt_tables(conn, role, schema, me)
    return {"role": role, "created": attributes is None, "database": database, "schema": schema, "adopted": adopted}


def _adopt_tables(conn: Any, role: str, schema: str, me: str) -> List[str]:
    """Give ``role`` the warehouse tables the master user owns (indexes and serial sequences follow)."""
    from psycopg import sql

    names = list(warehouse.expected_columns())
    foreign = conn.execute(_FOREIGN_TABLES, (schema, names, role)).fetchall()
    others = [f"{table} (owner {owner})" for table, owner in foreign if owner != me]
    if others:
        raise SetupError(f"warehouse tables owned by neither {me} nor {role}: {', '.join(others)}")
    if not foreign:
        return []
    ident = sql.Identifier(role)
    # ALTER ... OWNER TO needs membership in the new owner; held only for these statements.
    conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(ident))
    for table, _owner in foreign:
        qualified = sql.Identifier(schema, table)
        conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(qualified, ident))
    conn.execute(sql.SQL("REVOKE {} FROM CURRENT_USER").format(ident))
    return [table for table, _owner in foreign]


# --- the secret -------------------------------------------------------------------------------------


def secret_document(master: Dict[str, Any], password: str, role: str = LOADER_ROLE) -> Dict[str, Any]:
    """The loader's secret: the RDS secret shape, pointing at the same server as ``master``."""
    document = {
        "engine": "postgres",
        "host": master["host"],
        "port": int(master.get("port") or db_secrets.DEFAULT_PORT),
        "dbname": master["dbname"],
        "username": role,
        "password": password,
    }
    if master.get("sslmode"):  # only a test or private development server has one (gamboge.common.db_secrets)
        document["sslmode"] = master["sslmode"]
    return document


def _current_version(client: Any, secret_id: str) -> Optional[str]:
    stages = client.describe_secret(SecretId=secret_id).get("VersionIdsToStages") or {}
    return next((version for version, labels in stages.items() if CURRENT in labels), None)


def _promote(client: Any, secret_id: str, version: str) -> None:
    """Secrets Manager's finishSecret step: AWSCURRENT (and AWSPREVIOUS) move, AWSPENDING goes.

    A secret's first version is AWSCURRENT from the start (Secrets Manager attaches it), so the
    first run only removes the pending label.
    """
    current = _current_version(client, secret_id)
    if current != version:
        move = {"SecretId": secret_id, "VersionStage": CURRENT, "MoveToVersionId": version}
        if current:
            move["RemoveFromVersionId"] = current
        client.update_secret_version_stage(**move)
    client.update_secret_version_stage(SecretId=secret_id, VersionStage=PENDING, RemoveFromVersionId=version)


def setup(
    master_secret_id: str,
    loader_secret_id: str,
    host: str,
    port: str,
    dbname: str,
    role: str = LOADER_ROLE,
    schema: str = DEFAULT_SCHEMA,
    client: Any = None,
) -> Dict[str, Any]:
    """Create or rotate the loader role and its secret (idempotent: every run sets a new password)."""
    import psycopg
    from botocore.exceptions import BotoCoreError, ClientError

    master = dict(db_secrets.read_secret_json(master_secret_id), host=host, port=port, dbname=dbname)
    connect = db_secrets.connection_kwargs(master, master_secret_id)
    client = client or aws.client("secretsmanager")
    password = new_password()
    try:
        version = client.put_secret_value(
            SecretId=loader_secret_id,
            SecretString=json.dumps(secret_document(master, password, role)),
            VersionStages=[PENDING],
        )["VersionId"]
    except (BotoCoreError, ClientError) as exc:
        raise SetupError(f"cannot write the loader secret {loader_secret_id!r}: {type(exc).__name__}") from None
    try:
        with psycopg.connect(**connect, application_name="gamboge-warehouse-setup") as conn:
            done = ensure_role(conn, password, role=role, schema=schema)
    except psycopg.Error as exc:
        raise SetupError(f"cannot set up role {role} on {host}:{port}/{dbname}: {one_line(exc)}") from None
    try:
        _promote(client, loader_secret_id, version)
    except (BotoCoreError, ClientError) as exc:
        raise SetupError(
            f"role {role} has its new password but the loader secret's version {version} is still "
            f"{PENDING} ({type(exc).__name__}): run the setup again"
        ) from None
    return dict(done, secret_version=version)


# --- the Glue job -----------------------------------------------------------------------------------


def glue_main(argv: Sequence[str]) -> int:
    """glue_jobs/warehouse_setup.py: ``argv`` is the whole ``sys.argv`` Glue built."""
    accepted: Dict[str, Optional[str]] = {name: None for name in JOB.arguments}
    arguments, status = glue_args.start_job("warehouse_setup", argv, SUMMARY, JOB.arguments, accepted)
    if arguments is None:
        return status
    missing = [name for name in JOB.arguments if name != "aws_region" and not arguments.get(name)]
    if missing:
        return glue_args.fail_usage("warehouse_setup", "missing " + ", ".join("--" + name for name in missing))
    try:
        done = setup(
            arguments["master_secret_id"],
            arguments["loader_secret_id"],
            host=arguments["warehouse_host"],
            port=arguments["warehouse_port"],
            dbname=arguments["warehouse_dbname"],
        )
    except (SetupError, db_secrets.SecretError) as exc:
        log.error(str(exc))
        return 1
    logs.event(log, "warehouse loader role ready", **done)
    return 0
