"""The terraform under terraform/ against the code: one cannot drift from the other.

shared/workflow.py declares the jobs, their scripts, Glue commands, arguments and the trigger graph
once; these tests parse the terraform with python-hcl2 and fail when either side changes alone.
They also hold the security invariants a reviewer looks for (no plaintext secret, no needless
wildcard resource), and run terraform / checkov when those tools are present.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from shared import artifacts, bookmarks, deploy, schema, workflow

REPO = Path(__file__).resolve().parent.parent
TERRAFORM = REPO / "terraform"
ATHENA_SQL = REPO / "shared" / "sql" / "athena"
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"

# Glue's own job parameters terraform may pass besides the workflow's arguments. Anything else in
# default_arguments must be a workflow argument, or Glue's --job-bookmark-option where workflow.py
# says the job keeps a bookmark by it (glue_bookmark).
GLUE_OWN_ARGUMENTS = {
    "--TempDir",
    "--additional-python-modules",
    "--python-modules-installer-option",
    "--extra-py-files",
    "--job-language",
    "--enable-auto-scaling",
    "--enable-metrics",
    "--enable-observability-metrics",
    "--enable-continuous-cloudwatch-log",
    "--continuous-log-logGroup",
    "--enable-spark-ui",
    "--spark-event-logs-path",
    "--enable-glue-datacatalog",
}
SPARK_REQUIRED_GLUE_ARGUMENTS = {
    "--TempDir",
    "--additional-python-modules",
    "--python-modules-installer-option",
    "--enable-auto-scaling",
    "--enable-metrics",
    "--enable-continuous-cloudwatch-log",
}
EXPECTED_NAMED_QUERY_FILES = {
    "sales_by_month_and_currency.sql",
    "top_designs_by_revenue.sql",
    "outstanding_payments.sql",
    "sales_order_current_state.sql",
}


# --- parsing ------------------------------------------------------------------------------------


def _terraform_files(root: Path = TERRAFORM):
    return sorted(p for p in root.rglob("*.tf") if ".terraform" not in p.parts)


def _parse(path: Path) -> dict:
    with path.open() as handle:
        return hcl2.load(handle)


@pytest.fixture(scope="module")
def root_module() -> dict:
    """The root module's blocks merged across files: {"resource": {type: {name: body}}, ...}."""
    merged = {"resource": {}, "data": {}, "locals": {}, "variable": {}, "output": {}, "module": {}}
    for path in sorted(TERRAFORM.glob("*.tf")):
        parsed = _parse(path)
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        assert name not in merged[kind].setdefault(rtype, {}), f"{rtype}.{name} declared twice"
                        merged[kind][rtype][name] = body
        for kind in ("locals",):
            for block in parsed.get(kind, []):
                merged[kind].update(block)
        for kind in ("variable", "output", "module"):
            for block in parsed.get(kind, []):
                merged[kind].update(block)
    return merged


def _resources(root_module: dict, rtype: str) -> dict:
    return root_module["resource"].get(rtype, {})


def _reference(value: str) -> str:
    """'${aws_glue_job.ingest.name}' → 'aws_glue_job.ingest.name'."""
    match = re.fullmatch(r"\$\{(.+)\}", value)
    assert match, f"expected a single reference, got {value!r}"
    return match.group(1)


def _spec(key: str) -> workflow.JobSpec:
    """A workflow job or a one-off job, by key."""
    return workflow.JOBS_BY_KEY.get(key) or workflow.one_off_job(key)


def _script_local(key: str) -> str:
    return "job_scripts" if key in workflow.JOBS_BY_KEY else "one_off_job_scripts"


def _job_key_of(reference: str) -> str:
    match = re.fullmatch(r"\$\{aws_glue_job\.([a-z_]+)\.name\}", reference)
    assert match, f"trigger must name a job as ${{aws_glue_job.<key>.name}}, got {reference!r}"
    return match.group(1)


def test_every_terraform_file_parses_with_python_hcl2():
    files = _terraform_files()
    assert len(files) >= 10, "terraform/ looks empty"
    for path in files:
        parsed = _parse(path)
        assert isinstance(parsed, dict) and parsed, f"{path} parsed to nothing"


# --- jobs ---------------------------------------------------------------------------------------


def test_jobs_are_exactly_the_workflow_jobs(root_module):
    jobs = _resources(root_module, "aws_glue_job")
    assert not set(workflow.JOBS_BY_KEY) & set(workflow.ONE_OFF_JOBS_BY_KEY)
    assert set(jobs) == set(workflow.JOBS_BY_KEY) | set(workflow.ONE_OFF_JOBS_BY_KEY), (
        "one aws_glue_job per workflow.JOBS and workflow.ONE_OFF_JOBS key, named by the key"
    )


def test_job_names_follow_glue_job_name(root_module):
    assert root_module["variable"]["project_name"]["default"] == workflow.WORKFLOW_NAME
    for key, job in _resources(root_module, "aws_glue_job").items():
        assert job["name"] == workflow.glue_job_name(key, prefix="${var.project_name}")


def test_script_paths_exist_and_are_what_the_jobs_point_at(root_module):
    scripts = root_module["locals"]["job_scripts"]
    assert scripts == {spec.key: spec.script for spec in workflow.JOBS}
    one_off = root_module["locals"]["one_off_job_scripts"]
    assert one_off == {spec.key: spec.script for spec in workflow.ONE_OFF_JOBS}
    for spec in workflow.JOBS + workflow.ONE_OFF_JOBS:
        assert (REPO / spec.script).is_file(), f"{spec.script} (workflow job {spec.key!r}) is missing"
    for key, job in _resources(root_module, "aws_glue_job").items():
        (command,) = job["command"]
        expected = "${local.artifact_prefix}/${local." + _script_local(key) + '["' + key + '"]}'
        assert command["script_location"] == expected


def test_glue_commands_and_versions(root_module):
    for key, job in _resources(root_module, "aws_glue_job").items():
        spec = _spec(key)
        (command,) = job["command"]
        assert command["name"] == spec.glue_command
        if spec.glue_command == "pythonshell":
            assert command["python_version"] == "3.9", "Glue Python shell runs Python 3.9"
            assert "glue_version" not in job and "worker_type" not in job
        else:
            assert spec.glue_command == "glueetl"
            assert job["glue_version"] == "5.0"
            assert job["default_arguments"]["--enable-auto-scaling"] == "true"
        (execution,) = job["execution_property"]
        assert execution["max_concurrent_runs"] == 1
        assert job["timeout"], f"{key} needs a timeout"
        assert job["security_configuration"] == "${aws_glue_security_configuration.jobs.name}"


def test_job_arguments_are_exactly_the_workflow_arguments(root_module):
    for key, job in _resources(root_module, "aws_glue_job").items():
        spec = _spec(key)
        passed = set(job["default_arguments"])
        own = passed & GLUE_OWN_ARGUMENTS
        workflow_side = {"--" + name for name in spec.arguments} | (
            {"--job-bookmark-option"} if spec.glue_bookmark else set()
        )
        assert passed - own == workflow_side, (
            f"{key}: terraform passes {sorted(passed - own)}, workflow.JOBS declares {sorted(workflow_side)}"
        )


def test_glue_arguments_every_job_needs(root_module):
    for key, job in _resources(root_module, "aws_glue_job").items():
        arguments = job["default_arguments"]
        assert arguments["--TempDir"].startswith("s3://${local.temp_bucket}/")
        if _spec(key).glue_command == "glueetl":
            assert SPARK_REQUIRED_GLUE_ARGUMENTS <= set(arguments)
            assert arguments["--enable-metrics"] == "true"
            assert arguments["--enable-continuous-cloudwatch-log"] == "true"


# Which local holds the comma-separated S3 URIs of each runtime's wheels (shared/artifacts.py).
WHEEL_URIS_LOCAL = {"python_shell_wheels": "python_shell_wheel_uris", "spark_wheels": "spark_wheel_uris"}


def _runtime_of(job_key: str) -> artifacts.Runtime:
    (target,) = [target for target in artifacts.RUNTIMES if job_key in target.jobs]
    return target


def test_every_job_runs_on_the_runtime_its_artifacts_are_built_for(root_module):
    assert sorted(key for target in artifacts.RUNTIMES for key in target.jobs) == sorted(
        spec.key for spec in workflow.JOBS + workflow.ONE_OFF_JOBS
    )
    for key, job in _resources(root_module, "aws_glue_job").items():
        target = _runtime_of(key)
        (command,) = job["command"]
        if command["name"] == "pythonshell":
            assert target.key == f"glue-python-shell-{command['python_version']}"
        else:
            assert target.key == f"glue-{job['glue_version']}"
        assert target.python_version == ("3.9" if command["name"] == "pythonshell" else "3.11")


def test_jobs_install_their_runtimes_wheels_and_nothing_from_an_index(root_module):
    local = root_module["locals"]
    for variable, name in WHEEL_URIS_LOCAL.items():
        assert (
            local[name]
            == f'${{join(",", [for wheel in var.{variable} : "${{local.artifact_prefix}}/wheels/${{wheel}}"])}}'
        )
        assert root_module["variable"][variable]["type"] == "${list(string)}"
    for key, job in _resources(root_module, "aws_glue_job").items():
        arguments = job["default_arguments"]
        uris = f"${{local.{WHEEL_URIS_LOCAL[_runtime_of(key).terraform_variable]}}}"
        (command,) = job["command"]
        if command["name"] == "pythonshell":
            # The Python shell installs S3 wheels from --extra-py-files; --additional-python-modules
            # there would name packages on an index.
            assert arguments["--extra-py-files"] == uris
            assert "--additional-python-modules" not in arguments
        else:
            assert arguments["--additional-python-modules"] == uris
            assert "--no-index" in arguments["--python-modules-installer-option"].split()
            assert "--extra-py-files" not in arguments


def test_the_glue_network_has_no_https_egress_to_the_internet(root_module):
    rules = {
        name: rule
        for name, rule in _resources(root_module, "aws_vpc_security_group_egress_rule").items()
        if rule["security_group_id"] == "${aws_security_group.glue.id}"
    }
    for name, rule in rules.items():
        assert rule.get("cidr_ipv4") != "0.0.0.0/0" and "cidr_ipv6" not in rule, f"{name} is open to the internet"
    https = {name: rule for name, rule in rules.items() if rule["from_port"] == 443}
    assert {rule.get("cidr_ipv4") or rule.get("prefix_list_id") for rule in https.values()} == {
        "${aws_vpc.main.cidr_block}",
        "${aws_vpc_endpoint.s3.prefix_list_id}",
    }


def test_bookmark_option_choices_match_the_workflow(root_module):
    (validation,) = root_module["variable"]["bookmark_option"]["validation"]
    declared = set(re.findall(r"job-bookmark-[a-z]+", validation["condition"]))
    assert declared == set(bookmarks.OPTIONS)
    assert root_module["variable"]["bookmark_option"]["default"] in bookmarks.OPTIONS


def test_ingest_tables_default_is_every_source_table(root_module):
    default = root_module["variable"]["ingest_tables"]["default"]
    assert default.split(",") == list(schema.SOURCE_TABLE_NAMES)


# --- workflow -----------------------------------------------------------------------------------


def test_workflow_graph_matches_the_after_fields(root_module):
    (workflow_body,) = _resources(root_module, "aws_glue_workflow").values()
    assert workflow_body["name"] == "${var.project_name}"
    assert workflow_body["max_concurrent_runs"] == 1

    scheduled, edges = [], set()
    for name, trigger in _resources(root_module, "aws_glue_trigger").items():
        assert trigger["workflow_name"] == "${aws_glue_workflow.pipeline.name}", f"{name} is outside the workflow"
        targets = [_job_key_of(action["job_name"]) for action in trigger["actions"]]
        if trigger["type"] == "SCHEDULED":
            scheduled += targets
            continue
        assert trigger["type"] == "CONDITIONAL", f"{name}: unexpected trigger type {trigger['type']}"
        (predicate,) = trigger["predicate"]
        (condition,) = predicate["conditions"]
        assert condition["state"] == "SUCCEEDED" and condition["logical_operator"] == "EQUALS"
        for target in targets:
            edges.add((_job_key_of(condition["job_name"]), target))

    assert scheduled == [spec.key for spec in workflow.JOBS if spec.after is None]
    assert edges == {(spec.after, spec.key) for spec in workflow.JOBS if spec.after is not None}


def test_no_trigger_starts_a_one_off_job(root_module):
    for name, trigger in _resources(root_module, "aws_glue_trigger").items():
        text = repr(trigger)
        for spec in workflow.ONE_OFF_JOBS:
            assert f"aws_glue_job.{spec.key}." not in text, f"trigger {name} starts the one-off job {spec.key}"


def test_failure_alerts_cover_every_job(root_module):
    (rule,) = _resources(root_module, "aws_cloudwatch_event_rule").values()
    pattern = rule["event_pattern"]
    for spec in workflow.JOBS:
        assert f"aws_glue_job.{spec.key}.name" in pattern
    assert '"FAILED"' in pattern and '"TIMEOUT"' in pattern
    (topic,) = _resources(root_module, "aws_sns_topic").values()
    assert topic["kms_master_key_id"] == "${aws_kms_key.data.arn}"


# --- Athena -------------------------------------------------------------------------------------


def test_named_queries_come_from_every_file_in_shared_sql_athena(root_module):
    sql_files = {p.name for p in ATHENA_SQL.glob("*.sql")}
    assert EXPECTED_NAMED_QUERY_FILES <= sql_files
    for name in sql_files:
        assert (ATHENA_SQL / name).read_text().strip(), f"{name} is empty"

    local = root_module["locals"]
    assert local["athena_sql_dir"] == "${path.module}/../shared/sql/athena"
    assert (TERRAFORM / "../shared/sql/athena").resolve() == ATHENA_SQL.resolve()
    assert local["athena_query_files"] == '${fileset(local.athena_sql_dir, "*.sql")}'
    (query,) = _resources(root_module, "aws_athena_named_query").values()
    assert query["for_each"] == "${local.athena_query_files}"
    assert query["query"] == '${file("${local.athena_sql_dir}/${each.value}")}'


def test_athena_workgroup_enforces_encrypted_results(root_module):
    (workgroup,) = _resources(root_module, "aws_athena_workgroup").values()
    (configuration,) = workgroup["configuration"]
    assert configuration["enforce_workgroup_configuration"] is True
    (result,) = configuration["result_configuration"]
    (encryption,) = result["encryption_configuration"]
    assert encryption["encryption_option"] == "SSE_KMS"


# --- deploy and terraform agree on where artifacts live ----------------------------------------


def _example_index() -> dict:
    library = "gamboge-0.1.0-py3-none-any.whl"
    lists = {
        "glue-python-shell-3.9": ["six-1.17.0-py2.py3-none-any.whl", "pycountry-24.6.1-py3-none-any.whl", library],
        "glue-5.0": ["pycountry-24.6.1-py3-none-any.whl", library],
    }
    return {
        "format": artifacts.INDEX_FORMAT,
        "library_wheel": library,
        "runtimes": {
            target.key: {
                "jobs": list(target.jobs),
                "terraform_variable": target.terraform_variable,
                "wheels": lists[target.key],
            }
            for target in artifacts.RUNTIMES
        },
    }


def test_deploy_uploads_where_the_jobs_point(root_module, tmp_path):
    local = root_module["locals"]
    assert local["artifact_prefix"] == "s3://${local.artifacts_bucket}/${var.artifact_version}"

    index = _example_index()
    uploads = {key: path for path, key in deploy.artifact_uploads("v1", index, dist=tmp_path)}
    variables = deploy.terraform_variables("v1", index)
    values = dict(variables[i + 1].split("=", 1) for i in range(0, len(variables), 2))
    assert values["artifact_version"] == "v1"
    # Evaluate the terraform expressions for version v1 and compare with deploy's keys.
    for key in _resources(root_module, "aws_glue_job"):
        script = local[_script_local(key)][key]
        assert "v1/" + script in uploads
        assert uploads["v1/" + script] == REPO / script
        wheels = json.loads(values[_runtime_of(key).terraform_variable])
        assert wheels == index["runtimes"][_runtime_of(key).key]["wheels"]
        for wheel in wheels:  # local.*_wheel_uris: <artifact_prefix>/wheels/<file>
            assert uploads["v1/wheels/" + wheel] == tmp_path / "wheels" / wheel
    assert len(uploads) == len(workflow.JOBS) + len(workflow.ONE_OFF_JOBS) + 3  # each wheel once, though two runtimes list it
    for variable in WHEEL_URIS_LOCAL:
        (validation,) = root_module["variable"][variable]["validation"]
        each, last = re.findall(r'regex\("(.+?)", ', validation["condition"])
        wheels = json.loads(values[variable])
        assert all(re.match(each.replace("\\\\", "\\"), wheel) for wheel in wheels)
        assert re.match(last.replace("\\\\", "\\"), wheels[-1])


def test_deploy_without_a_package_index_says_so(tmp_path):
    with pytest.raises(deploy.DeployError, match="make package"):
        deploy.read_package_index(tmp_path)


def test_deploy_without_terraform_says_so(monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert deploy.main(["--version", "v1"]) == 2
    assert "terraform is not installed" in capsys.readouterr().err


def test_deploy_without_aws_credentials_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/terraform")
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert deploy.main(["--version", "v1"]) == 2
    assert "no AWS credentials" in capsys.readouterr().err


# --- security invariants a reviewer checks ------------------------------------------------------


def _iam_statements():
    for path in _terraform_files():
        for block in _parse(path).get("data", []):
            for name, body in block.get("aws_iam_policy_document", {}).items():
                for statement in body.get("statement", []):
                    yield f"{path.name}:{name}", statement


def test_no_wildcard_resource_where_it_can_be_scoped():
    # Only actions without resource-level permissions may use "*".
    unscopable = re.compile(r"^(cloudwatch:PutMetricData|ec2:Describe[A-Za-z]+)$")
    for where, statement in _iam_statements():
        if statement.get("effect") == "Deny":
            continue
        if "*" in statement.get("resources", []):
            actions = statement.get("actions", [])
            assert all(unscopable.match(a) for a in actions), f"{where}: '*' resource for {actions}"


def test_no_plaintext_secret_in_terraform(root_module):
    assert "aws_secretsmanager_secret_version" not in root_module["resource"], "secret values stay out of state"
    (warehouse,) = _resources(root_module, "aws_db_instance").values()
    assert warehouse["manage_master_user_password"] is True and "password" not in warehouse
    assert warehouse["storage_encrypted"] is True and warehouse["publicly_accessible"] is False
    (parameters,) = _resources(root_module, "aws_db_parameter_group").values()
    assert {"name": "rds.force_ssl", "value": "1"}.items() <= next(
        p for p in parameters["parameter"] if p["name"] == "rds.force_ssl"
    ).items()
    for variable in root_module["variable"]:
        assert not re.search(r"password|secret_value", variable), f"variable {variable} would carry a secret"


MASTER_SECRET = "${local.warehouse_secret_arn}"
LOADER_SECRET = "${aws_secretsmanager_secret.warehouse_loader.arn}"


def test_the_load_job_connects_with_the_loader_secret_not_the_master(root_module):
    assert (
        root_module["locals"]["warehouse_secret_arn"] == "${aws_db_instance.warehouse.master_user_secret[0].secret_arn}"
    )
    (connection,) = [
        c for c in _resources(root_module, "aws_glue_connection").values() if c["connection_type"] == "JDBC"
    ]
    assert connection["connection_properties"]["SECRET_ID"] == LOADER_SECRET
    loader = _resources(root_module, "aws_secretsmanager_secret")["warehouse_loader"]
    assert loader["kms_key_id"] == "${aws_kms_key.data.arn}"
    assert "secret_string" not in loader, "the value is written by the warehouse_setup job, never by terraform"

    load_secrets = [
        statement
        for where, statement in _iam_statements()
        if where == "iam.tf:load" and any(a.startswith("secretsmanager:") for a in statement["actions"])
    ]
    assert [s["resources"] for s in load_secrets] == [[LOADER_SECRET]]


def test_only_the_setup_job_reads_the_master_secret_and_writes_the_loader_secret():
    master_reader, loader_writer = [], []
    for where, statement in _iam_statements():
        if MASTER_SECRET in statement.get("resources", []) or any(
            "master_user_secret" in r for r in statement.get("resources", [])
        ):
            master_reader.append((where, statement["resources"], sorted(statement["actions"])))
        if LOADER_SECRET in statement.get("resources", []) and any(
            a != "secretsmanager:GetSecretValue" and a != "secretsmanager:DescribeSecret" for a in statement["actions"]
        ):
            loader_writer.append((where, statement["resources"], sorted(statement["actions"])))
    assert master_reader == [
        (
            "warehouse_role.tf:warehouse_setup",
            [MASTER_SECRET],
            ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        )
    ]
    assert loader_writer == [
        (
            "warehouse_role.tf:warehouse_setup",
            [LOADER_SECRET],
            [
                "secretsmanager:DescribeSecret",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
        )
    ]


def test_the_setup_job_reaches_the_warehouse_as_the_load_job_does(root_module):
    job = _resources(root_module, "aws_glue_job")["warehouse_setup"]
    assert job["role_arn"] == "${aws_iam_role.warehouse_setup.arn}"
    assert job["connections"] == ["${aws_glue_connection.private_network.name}"]
    arguments = job["default_arguments"]
    assert arguments["--master_secret_id"] == MASTER_SECRET
    assert arguments["--loader_secret_id"] == LOADER_SECRET
    assert arguments["--warehouse_host"] == "${aws_db_instance.warehouse.address}"
    assert arguments["--warehouse_dbname"] == "${aws_db_instance.warehouse.db_name}"
    # The same subnet and security group as the warehouse connection, which the warehouse accepts.
    connections = _resources(root_module, "aws_glue_connection")
    assert (
        connections["private_network"]["physical_connection_requirements"]
        == connections["warehouse"]["physical_connection_requirements"]
    )
    attached = sorted(
        p["policy"]
        for p in _resources(root_module, "aws_iam_role_policy").values()
        if p["role"] == "${aws_iam_role.warehouse_setup.id}"
    )
    assert attached == [
        "${data.aws_iam_policy_document.job_vpc.json}",
        "${data.aws_iam_policy_document.warehouse_setup.json}",
    ]


def test_every_lake_bucket_uses_the_secure_bucket_module(root_module):
    (bucket_module,) = root_module["module"].values()
    assert bucket_module["source"] == "./modules/secure_bucket"
    buckets = set(root_module["locals"]["lake_buckets"])
    assert buckets == {"landing", "processed", "artifacts", "temp", "athena-results"}
    assert set(_resources(root_module, "aws_s3_bucket")) == {"access_logs"}, "new buckets go through the module"


# --- tools, when present --------------------------------------------------------------------------


def _terraform_binary():
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform is not installed: fmt/validate checks skipped")
    return binary


def test_terraform_fmt():
    binary = _terraform_binary()
    result = subprocess.run(
        [binary, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)], capture_output=True, text=True
    )
    assert result.returncode == 0, "terraform fmt would change:\n" + result.stdout


@pytest.mark.slow  # downloads the AWS provider where a registry is reachable
def test_terraform_validate(tmp_path):
    binary = _terraform_binary()
    env = dict(os.environ, TF_DATA_DIR=str(tmp_path / "tfdata"), TF_IN_AUTOMATION="1")
    init = subprocess.run(
        [binary, f"-chdir={TERRAFORM}", "init", "-backend=false", "-input=false", "-no-color"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if init.returncode != 0:
        pytest.skip("terraform validate skipped: the AWS provider cannot be downloaded here")
    result = subprocess.run(
        [binary, f"-chdir={TERRAFORM}", "validate", "-no-color"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_checkov_reports_no_failed_check():
    if not CHECKOV.exists():
        pytest.skip("no .venv-checkov: run `make .venv-checkov`")
    result = subprocess.run(
        [str(CHECKOV), "--config-file", str(REPO / ".checkov.yaml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "Failed checks: 0" in result.stdout
