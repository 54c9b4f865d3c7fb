"""Every job started exactly as AWS Glue starts it (tests/helpers/glue_launcher.py): terraform's default
arguments plus Glue's own, in any order, parsed by AWS's awsglue library, in a subprocess; ingest
under Python 3.9 against the real PostgreSQL, with S3, Secrets Manager, the Glue connection and
catalog and the workflow run properties on the moto server."""

import datetime
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import boto3
import psycopg
import pytest

from gamboge.common import config, schema
from gamboge.dev import localpg
from gamboge.lake import bookmarks, manifests, storage, workflow_run
from helpers import glue_launcher
from helpers.landing import currency, land
from helpers.workspaces import warehouse_checksums

SCALE = 0.1  # the scale of the clean `gamboge run` the other whole-pipeline tests share
needs_py39 = pytest.mark.skipif(
    not (glue_launcher.PY39.exists() or glue_launcher.REAL_GLUE), reason="no .venv-py39 (make test builds it)"
)


@pytest.fixture(scope="session")
def tls_server(pg_server):
    """The test cluster with TLS on (a self-signed certificate): the Glue connection terraform
    declares requires it (sslmode=require), and so does the load job."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    data = pg_server.data
    (data / "server.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (data / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    os.chmod(data / "server.key", 0o600)
    owner = localpg._server_user()  # the server runs unprivileged when the tests run as root
    if owner:
        for name in ("server.crt", "server.key"):
            shutil.chown(str(data / name), user=owner)
    with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET ssl = on")
        conn.execute("SELECT pg_reload_conf()")
    deadline = time.monotonic() + 10  # the reload is a signal: the postmaster takes a moment
    while True:
        try:
            with psycopg.connect(pg_server.dsn("postgres"), sslmode="require") as conn:
                assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0] is True
            return pg_server
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _dsn_parts(dsn):
    return psycopg.conninfo.conninfo_to_dict(dsn)


class Aws:
    """The moto server as the account terraform built: secrets, the warehouse connection, the
    catalog database, a bucket, the workflow."""

    def __init__(self, endpoint, region):
        self.endpoint, self.region = endpoint, region
        self.kwargs = dict(
            endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
        )

    def client(self, service):
        return boto3.client(service, **self.kwargs)

    def secret(self, dsn):
        parts = _dsn_parts(dsn)
        document = {
            "host": parts["host"],
            "port": int(parts["port"]),
            "dbname": parts["dbname"],
            "username": parts["user"],
            "password": parts.get("password") or "unused-on-trust",
        }
        name = "gamboge-" + uuid.uuid4().hex[:8]
        return self.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps(document))["ARN"]

    def connection(self, dsn):
        parts = _dsn_parts(dsn)
        name = "gamboge-warehouse-" + uuid.uuid4().hex[:8]
        url = f"jdbc:postgresql://{parts['host']}:{parts['port']}/{parts['dbname']}?sslmode=require"
        self.client("glue").create_connection(
            ConnectionInput={
                "Name": name,
                "ConnectionType": "JDBC",
                "ConnectionProperties": {
                    "JDBC_CONNECTION_URL": url,
                    "JDBC_ENFORCE_SSL": "true",
                    "SECRET_ID": self.secret(dsn),
                },
            }
        )
        return name

    def catalog_database(self):
        name = "gamboge_" + uuid.uuid4().hex[:8]
        self.client("glue").create_database(DatabaseInput={"Name": name})
        return name

    def bucket(self):
        name = "gamboge-lake-" + uuid.uuid4().hex[:8]
        self.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        return name

    def workflow_run(self):
        name = "gamboge-" + uuid.uuid4().hex[:8]
        glue = self.client("glue")
        glue.create_workflow(Name=name)
        return {"name": name, "run_id": glue.start_workflow_run(Name=name)["RunId"]}

    def run_properties(self, run):
        return self.client("glue").get_workflow_run_properties(Name=run["name"], RunId=run["run_id"])["RunProperties"]


@pytest.fixture(scope="session")
def aws(moto_endpoint):
    return Aws(moto_endpoint, str(glue_launcher.variable_defaults()["aws_region"]))


def local_aws(aws, lake, source_dsn=None, warehouse_dsn=None):
    """Terraform's references pointed at a lake and databases of this machine."""
    references = {
        "local.landing_uri": config.landing_uri(lake),
        "local.ingest_state_uri": config.state_uri(lake),
        "local.transform_state_uri": config.state_uri(lake),
        "local.processed_uri": config.processed_uri(lake),
        "local.temp_bucket": "gamboge-temp",
        "aws_glue_catalog_database.star_schema.name": aws.catalog_database(),
    }
    if source_dsn:
        references["aws_secretsmanager_secret.totesys.arn"] = aws.secret(source_dsn)
    if warehouse_dsn:
        references["aws_glue_connection.warehouse.name"] = aws.connection(warehouse_dsn)
    return glue_launcher.LocalAws(aws.endpoint, aws.region, lake, references)


@pytest.fixture()
def source(sources, tls_server, tmp_path):
    return sources.workspace(SCALE, tmp_path / "home")


def source_counts(dsn):
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in schema.SOURCE_TABLE_NAMES}


def landed_rows(manifest):
    return {table: entry["rows"] for table, entry in manifest["tables"].items()}


def newest_manifest(aws, landing_uri):
    with moto_storage(aws):
        (run_id, *_) = sorted(manifests.list_run_ids(landing_uri), reverse=True)
        return manifests.read_manifest(manifests.manifest_uri(landing_uri, run_id))


class moto_storage:  # noqa: N801 - used as a context manager
    """This process's storage calls to the moto server for a moment (the job processes have their own)."""

    def __init__(self, aws):
        self.aws = aws

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        os.environ.update(
            AWS_ENDPOINT_URL=self.aws.endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"
        )
        from gamboge.common import aws as shared_aws

        self.region = shared_aws.region()
        shared_aws.use_region(self.aws.region)
        storage.reset_clients()

    def __exit__(self, *exc):
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        from gamboge.common import aws as shared_aws

        shared_aws.use_region(self.region)
        storage.reset_clients()


# --- ingest: the Python-shell job under Python 3.9 ------------------------------------------------


@needs_py39
@pytest.mark.parametrize("order", glue_launcher.ORDERS)
def test_ingest_started_as_glue_starts_it_lands_every_row_in_s3(aws, source, tmp_path, order):
    lake = f"s3://{aws.bucket()}/lake"
    local = local_aws(aws, lake, source_dsn=source["source"])
    argv = glue_launcher.glue_argv("ingest", local, order=order, seed=len(order))
    run = glue_launcher.run("ingest", argv, local, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = newest_manifest(aws, config.landing_uri(lake))
    assert landed_rows(manifest) == source_counts(source["source"])
    assert all(f["uri"].startswith(lake + "/landing/") for t in manifest["tables"].values() for f in t["files"])
    finished = [e for e in run.events() if e["event"] == "ingest finished"]
    assert finished and finished[0]["bookmark"] == "saved"  # terraform's var.bookmark_option: enable


@needs_py39
def test_the_bookmark_option_terraform_sets_takes_effect_and_a_run_argument_overrides_it(aws, source, tmp_path):
    lake = (tmp_path / "lake").as_uri()
    local = local_aws(aws, lake, source_dsn=source["source"])
    counts = source_counts(source["source"])

    def ingest(**run_arguments):
        run = glue_launcher.run(
            "ingest", glue_launcher.glue_argv("ingest", local, run_arguments=run_arguments), local, tmp_path
        )
        assert run.returncode == 0, run.stderr[-3000:]
        return newest_manifest(aws, config.landing_uri(lake)), run

    first, _ = ingest()
    assert landed_rows(first) == counts
    saved = bookmarks.load(config.state_uri(lake), "ingest")
    second, _ = ingest()  # job-bookmark-enable: nothing new since the first run
    assert second["empty"] is True and sum(landed_rows(second).values()) == 0
    full, run = ingest(**{"--job-bookmark-option": "job-bookmark-disable"})  # a full extract, bookmark kept
    assert landed_rows(full) == counts
    assert [e["bookmark"] for e in run.events() if e["event"] == "ingest finished"] == ["unchanged"]
    assert bookmarks.load(config.state_uri(lake), "ingest")["tables"].keys() == saved["tables"].keys()


@needs_py39
def test_a_bad_argument_value_exits_2_naming_it_and_lands_nothing(aws, source, tmp_path):
    lake = (tmp_path / "lake").as_uri()
    local = local_aws(aws, lake, source_dsn=source["source"])
    argv = glue_launcher.glue_argv("ingest", local, run_arguments={"--job-bookmark-option": "job-bookmark-off"})
    run = glue_launcher.run("ingest", argv, local, tmp_path)
    assert run.returncode == 2
    assert "--job-bookmark-option: invalid choice: 'job-bookmark-off'" in run.stderr
    assert manifests.list_run_ids(config.landing_uri(lake)) == []


@needs_py39
def test_an_unknown_argument_is_reported_and_the_run_goes_on(aws, source, tmp_path):
    lake = (tmp_path / "lake").as_uri()
    local = local_aws(aws, lake, source_dsn=source["source"])
    argv = glue_launcher.glue_argv("ingest", local, run_arguments={"--audit_evry_hours": "1"})
    run = glue_launcher.run("ingest", argv, local, tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    warnings = [e["event"] for e in run.events() if e["level"] == "warning"]
    assert "ignoring unknown argument --audit_evry_hours" in warnings


@pytest.mark.parametrize("script", ["ingest_totesys.py", "transform_star_schema.py", "load_warehouse.py"])
def test_every_job_script_has_a_help_listing_its_arguments(script):
    result = subprocess.run(
        [sys.executable, str(glue_launcher.REPO / "glue_jobs" / script), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    key = {"ingest_totesys.py": "ingest", "transform_star_schema.py": "transform", "load_warehouse.py": "load"}[script]
    from gamboge.common import workflow

    for name in workflow.job(key).arguments:
        assert f"--{name}\n" in result.stdout
    assert ("--job-bookmark-option" in result.stdout) == workflow.job(key).glue_bookmark


# --- transform: a Glue 5.0 Spark job, only Glue's JVM parts stood in --------------------------------


@pytest.mark.spark
def test_max_reject_ratio_from_terraform_fails_a_bad_batch_and_a_run_argument_lets_it_through(
    aws, tmp_path, monkeypatch
):
    lake = (tmp_path / "lake").as_uri()
    monkeypatch.setenv("GAMBOGE_LAKE", lake)
    land("currency", [currency(1, "GBP"), currency(2, **{"currency_id": "two"})])
    local = local_aws(aws, lake)

    strict = glue_launcher.run(
        "transform", glue_launcher.glue_argv("transform", local, order="glue-first"), local, tmp_path
    )
    assert strict.returncode == 1
    assert "1 of 2 landed rows were rejected" in strict.stderr
    assert manifests.list_run_ids(config.processed_uri(lake)) == []

    lenient_argv = glue_launcher.glue_argv(
        "transform", local, run_arguments={"--max_reject_ratio": "0.9"}, order="shuffled"
    )
    lenient = glue_launcher.run("transform", lenient_argv, local, tmp_path)
    assert lenient.returncode == 0, lenient.stderr[-3000:]
    (batch,) = manifests.list_run_ids(config.processed_uri(lake))
    body = manifests.read_manifest(manifests.manifest_uri(config.processed_uri(lake), batch))
    assert body["rejected"]["currency"] == 1
    # Job.init got Glue's own JOB_NAME; commit came once, after the work.
    calls = [c["call"] for c in lenient.standin_calls]
    assert calls == ["GlueContext", "init", "commit"]
    init = lenient.standin_calls[1]
    assert init["job_name"] == glue_launcher.job_name("transform", local)
    assert init["args"]["job_bookmark_option"] == glue_launcher.variable_defaults()["bookmark_option"]


# --- the whole workflow run ------------------------------------------------------------------------


@needs_py39
@pytest.mark.spark
def test_a_workflow_run_through_glue_leaves_the_warehouse_gamboge_run_leaves(aws, source, clean_runs, tmp_path):
    _, expected = clean_runs(SCALE)
    lake = (tmp_path / "lake").as_uri()
    local = local_aws(aws, lake, source_dsn=source["source"], warehouse_dsn=source["warehouse"])
    run = aws.workflow_run()
    orders = {"ingest": "job-first", "transform": "glue-first", "load": "shuffled"}
    results = {}
    for key in ("ingest", "transform", "load"):
        argv = glue_launcher.glue_argv(key, local, workflow_run=run, order=orders[key], seed=3)
        results[key] = glue_launcher.run(key, argv, local, tmp_path)
        assert results[key].returncode == 0, f"{key}: " + results[key].stderr[-3000:]

    assert warehouse_checksums(source["warehouse"]) == expected
    properties = aws.run_properties(run)
    assert properties[workflow_run.LANDING_MANIFEST] == manifests.list_run_ids(config.landing_uri(lake))[-1]
    assert properties[workflow_run.PROCESSED_MANIFEST] == manifests.list_run_ids(config.processed_uri(lake))[-1]
    for key in ("transform", "load"):
        calls = results[key].standin_calls
        assert [c["job_name"] for c in calls if c["call"] == "init"] == [glue_launcher.job_name(key, local)]
        assert [c["call"] for c in calls].count("commit") == 1
    assert [c["connection_name"] for c in results["load"].standin_calls if c["call"] == "extract_jdbc_conf"] == [
        local.references["aws_glue_connection.warehouse.name"]
    ]
    # The catalog went to the Glue Data Catalog (moto), as on Glue: every star table is there.
    database = local.references["aws_glue_catalog_database.star_schema.name"]
    tables = aws.client("glue").get_tables(DatabaseName=database)["TableList"]
    assert sorted(t["Name"] for t in tables) == sorted(t.name for t in schema.STAR_TABLES)
    # Every Spark job logged JSON events of its own (not only warnings).
    assert any(e["logger"] == "gamboge.transform" and e["level"] == "info" for e in results["transform"].events())
    assert any(e["logger"] == "gamboge.load" and e["level"] == "info" for e in results["load"].events())
    # The load tidied the processed zone with terraform's settings.
    tidied = json.loads(results["load"].stdout)["housekeeping"]
    variables = glue_launcher.variable_defaults()
    assert (tidied["retain_batches"], tidied["compact_min_files"]) == (
        variables["retain_batches"],
        variables["compact_min_files"],
    )

    # The next scheduled run, nothing new in the source, every job's arguments in another order:
    # it runs through and the warehouse stays exactly as it was.
    again = aws.workflow_run()
    # A start-job-run argument overrides terraform's retention for the load.
    overrides = {"load": {"--retain_batches": "1"}}
    for key, order in (("ingest", "shuffled"), ("transform", "job-first"), ("load", "glue-first")):
        argv = glue_launcher.glue_argv(
            key, local, workflow_run=again, order=order, seed=5, run_arguments=overrides.get(key)
        )
        result = glue_launcher.run(key, argv, local, tmp_path)
        assert result.returncode == 0, f"{key} (second run): " + result.stderr[-3000:]
    assert warehouse_checksums(source["warehouse"]) == expected
    assert json.loads(result.stdout)["housekeeping"]["retain_batches"] == 1
    assert (
        aws.run_properties(again)[workflow_run.LANDING_MANIFEST] == manifests.list_run_ids(config.landing_uri(lake))[-1]
    )
