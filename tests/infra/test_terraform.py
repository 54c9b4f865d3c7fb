"""The terraform under terraform/ against the code: one cannot drift from the other.

shared/gamboge/common/workflow.py declares the jobs, their scripts, Glue commands, arguments and the trigger graph
once; these tests parse the terraform with python-hcl2 and fail when either side changes alone.
They also hold the security invariants a reviewer looks for (no plaintext secret, no needless
wildcard resource), and run terraform / checkov when those tools are present.
"""

import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

import helpers
from gamboge import SQL_DIR
from gamboge.common import schema, workflow
from gamboge.lake import bookmarks
from gamboge.ops import artifacts, deploy

REPO = helpers.REPO
TERRAFORM = REPO / "terraform"
ATHENA_SQL = SQL_DIR / "athena"
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
    "--custom-logGroup-prefix",
    "--enable-spark-ui",
    "--spark-event-logs-path",
}
SPARK_REQUIRED_GLUE_ARGUMENTS = {
    "--TempDir",
    "--additional-python-modules",
    "--python-modules-installer-option",
    "--enable-auto-scaling",
    "--enable-metrics",
    "--custom-logGroup-prefix",
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


# terraform's name expressions, spelled the way workflow.py's name functions would build them.
TF_NAMING = {"project": "${var.project_name}", "environment": "${var.environment}"}


def test_name_defaults_are_terraforms_defaults(root_module):
    assert root_module["variable"]["project_name"]["default"] == workflow.DEFAULT_PROJECT
    assert root_module["variable"]["environment"]["default"] == workflow.DEFAULT_ENVIRONMENT
    assert workflow.glue_job_name("ingest") == "gamboge-dev-ingest"
    assert workflow.workflow_name() == "gamboge-dev-pipeline"
    assert workflow.glue_job_name("load", "gamboge", "prod") == "gamboge-prod-load"


def test_job_names_carry_the_environment(root_module):
    for key, job in _resources(root_module, "aws_glue_job").items():
        assert job["name"] == workflow.glue_job_name(key, **TF_NAMING)


def test_workflow_and_trigger_names_carry_the_environment(root_module):
    (workflow_body,) = _resources(root_module, "aws_glue_workflow").values()
    assert workflow_body["name"] == workflow.workflow_name(**TF_NAMING)
    for name, trigger in _resources(root_module, "aws_glue_trigger").items():
        assert trigger["name"] == workflow.resource_name(name.replace("_", "-"), **TF_NAMING)


def test_workflow_run_properties_grant_names_this_environments_workflow(root_module):
    arn = root_module["locals"]["workflow_arn"]
    assert arn.endswith(":workflow/${aws_glue_workflow.pipeline.name}"), arn


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


def test_spark_does_not_use_the_glue_catalog_as_its_metastore(root_module):
    # The catalog is written through boto3 (shared/gamboge/transform/catalog.py). Spark's Glue metastore client would
    # only add a start-up path that may try to create a "default" database the role cannot create.
    for key, job in _resources(root_module, "aws_glue_job").items():
        assert "--enable-glue-datacatalog" not in job["default_arguments"], key
    for where, statement in _iam_statements():
        for resource in statement.get("resources", []):
            assert not resource.endswith(":database/default"), f"{where}: grant on the default database"


# Which local holds the comma-separated S3 URIs of each runtime's wheels (shared/gamboge/ops/artifacts.py).
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


def _jsonencoded(expression: str):
    """The value inside a ``jsonencode(...)`` expression, with terraform's references left as strings."""
    match = re.fullmatch(r"\$\{jsonencode\((.*)\)\}", expression, flags=re.S)
    assert match, expression
    return hcl2.loads("value = " + match.group(1))["value"]


def _event_pattern(rule: dict) -> dict:
    return _jsonencoded(rule["event_pattern"])


def test_failure_alerts_cover_every_job_and_every_failed_end(root_module):
    rule = _resources(root_module, "aws_cloudwatch_event_rule")["job_failed"]
    pattern = _event_pattern(rule)
    assert pattern["detail"]["jobName"] == [f"${{aws_glue_job.{spec.key}.name}}" for spec in workflow.JOBS]
    # ERROR: Glue could not start the run; STOPPED: someone or something stopped it.
    assert set(pattern["detail"]["state"]) == {"FAILED", "TIMEOUT", "ERROR", "STOPPED"}
    (topic,) = _resources(root_module, "aws_sns_topic").values()
    assert topic["kms_master_key_id"] == "${aws_kms_key.data.arn}"


def test_an_alarm_says_when_no_load_has_succeeded_for_hours(root_module):
    rule = _resources(root_module, "aws_cloudwatch_event_rule")["load_succeeded"]
    pattern = _event_pattern(rule)
    assert pattern["detail"] == {"jobName": ["${aws_glue_job.load.name}"], "state": ["SUCCEEDED"]}
    assert pattern["source"] == ["aws.glue"] and pattern["detail-type"] == ["Glue Job State Change"]

    alarm = _resources(root_module, "aws_cloudwatch_metric_alarm")["no_successful_load"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/Events", "MatchedEvents", "Sum")
    assert alarm["dimensions"] == {"RuleName": "${aws_cloudwatch_event_rule.load_succeeded.name}"}
    # N consecutive hours, each without a successful load (no datapoint counts as one).
    assert alarm["period"] == 3600
    assert alarm["evaluation_periods"] == alarm["datapoints_to_alarm"] == "${var.load_success_alarm_hours}"
    assert (alarm["comparison_operator"], alarm["threshold"]) == ("LessThanThreshold", 1)
    assert alarm["treat_missing_data"] == "breaching"
    assert alarm["alarm_actions"] == ["${aws_sns_topic.job_failures.arn}"]
    assert alarm["count"] == "${var.schedule_enabled ? 1 : 0}", "no load is expected while the schedule is off"
    assert alarm["alarm_name"] == "${local.no_load_alarm_name}"
    assert root_module["locals"]["no_load_alarm_arn"].endswith(":alarm:${local.no_load_alarm_name}")
    hours = root_module["variable"]["load_success_alarm_hours"]
    assert 1 <= hours["default"] <= 24  # a CloudWatch alarm looks back at most one day


def test_cloudwatch_alarms_may_publish_to_the_encrypted_topic(root_module):
    (topic_policy,) = [body for name, body in _policy_documents() if name == "job_failures_topic"]
    publishers = {
        statement["principals"][0]["identifiers"][0]: statement["condition"][0]["values"]
        for statement in topic_policy["statement"]
    }
    assert publishers["cloudwatch.amazonaws.com"] == ["${local.no_load_alarm_arn}", "${local.audit_missed_alarm_arn}"]
    alarms = _resources(root_module, "aws_cloudwatch_metric_alarm")
    assert {a["alarm_name"] for a in alarms.values()} == {
        "${local.no_load_alarm_name}",
        "${local.audit_missed_alarm_name}",
    }, "every alarm may publish to the topic"
    assert root_module["locals"]["audit_missed_alarm_arn"].endswith(":alarm:${local.audit_missed_alarm_name}")
    assert publishers["events.amazonaws.com"] == ["${aws_cloudwatch_event_rule.job_failed.arn}"]
    # The key policy: the topic is encrypted with the stack's key, so CloudWatch needs to use it.
    policy = _jsonencoded(root_module["locals"]["data_key_policy"])
    (statement,) = [s for s in policy["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert statement["Effect"] == "Allow"
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "${local.account_id}"}}


# --- Athena -------------------------------------------------------------------------------------


def test_named_queries_come_from_every_file_in_shared_sql_athena(root_module):
    sql_files = {p.name for p in ATHENA_SQL.glob("*.sql")}
    assert EXPECTED_NAMED_QUERY_FILES <= sql_files
    for name in sql_files:
        assert (ATHENA_SQL / name).read_text().strip(), f"{name} is empty"

    local = root_module["locals"]
    assert local["athena_sql_dir"] == "${path.module}/../shared/gamboge/sql/athena"
    assert (TERRAFORM / "../shared/gamboge/sql/athena").resolve() == ATHENA_SQL.resolve()
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
    # each wheel once, though two runtimes list it
    assert len(uploads) == len(workflow.JOBS) + len(workflow.ONE_OFF_JOBS) + 3
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
        resources = statement.get("resources", [])
        # A list of ARNs; a for-expression (a string) builds scoped ARNs and is checked where it is made.
        if isinstance(resources, list) and "*" in resources:
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


def test_only_landed_files_expire_in_the_landing_bucket_never_the_ingest_state(root_module):
    """The ingest's state/ (bookmark, fingerprint baseline) lives in the landing bucket; an expired
    baseline would break the next incremental run."""
    buckets = root_module["locals"]["lake_buckets"]
    assert buckets["landing"]["current_version_expiration_prefix"] == "landing/"
    assert root_module["locals"]["ingest_state_uri"].endswith("/state")
    assert not "state/".startswith(buckets["landing"]["current_version_expiration_prefix"])
    assert {k: v["current_version_expiration_days"] for k, v in buckets.items() if k in ("temp", "athena-results")} == {
        "temp": 7, "athena-results": 30,
    }  # fmt: skip
    (bucket_module,) = root_module["module"].values()
    assert bucket_module["current_version_expiration_prefix"] == "${each.value.current_version_expiration_prefix}"
    module = _parse(TERRAFORM / "modules" / "secure_bucket" / "main.tf")
    (lifecycle,) = [b["aws_s3_bucket_lifecycle_configuration"]["this"] for b in module["resource"]
                    if "aws_s3_bucket_lifecycle_configuration" in b]  # fmt: skip
    expiring = lifecycle["dynamic"][0]["rule"]["content"][0]
    assert expiring["filter"] == [{"prefix": "${var.current_version_expiration_prefix}"}]


def test_what_no_job_deletes_lies_where_it_expires(root_module):
    """Glue's temp space and every job's Spark UI event logs go to the temp bucket, Athena's
    results to its results bucket; both expire. The processed zone has no expiry: retention
    there is the load's (a snapshot's age does not tell whether it is still current)."""
    buckets = root_module["locals"]["lake_buckets"]
    for key, job in _resources(root_module, "aws_glue_job").items():
        arguments = job["default_arguments"]
        for name in ("--TempDir", "--spark-event-logs-path"):
            if name in arguments:
                assert arguments[name].startswith("s3://${local.temp_bucket}/"), f"{key} {name}"
        assert ("--spark-event-logs-path" in arguments) == ("--enable-spark-ui" in arguments), key
    (workgroup,) = _resources(root_module, "aws_athena_workgroup").values()
    (result,) = workgroup["configuration"][0]["result_configuration"]
    assert result["output_location"].startswith("s3://${local.athena_results_bucket}/")
    for name in ("temp", "athena-results"):
        assert buckets[name]["current_version_expiration_prefix"] == "", f"all of {name} expires"
        assert buckets[name]["current_version_expiration_days"] > 0
    assert buckets["processed"]["current_version_expiration_days"] is None


def test_the_load_tidies_on_aws_as_gamboge_run_does_locally(root_module):
    """terraform's housekeeping settings are the load's defaults, which `gamboge run` uses."""
    from gamboge.load import load_job

    variables = root_module["variable"]
    for name in ("retain_batches", "compact_min_files"):
        assert str(variables[name]["default"]) == load_job.defaults()[name], name
        assert "the --" + name + " argument" in variables[name]["description"]


def test_the_load_role_may_write_and_delete_only_what_its_housekeeping_does():
    from gamboge.lake import committed, retention

    statements = {s["sid"]: s for where, s in _iam_statements() if where == "iam.tf:load" and "sid" in s}
    zone = "${local.processed_bucket_arn}/processed/"
    compacting = statements["CompactTheFactPartitions"]
    assert set(compacting["actions"]) == {"s3:PutObject", "s3:DeleteObject"}
    assert set(compacting["resources"]) == {zone + "fact_*", zone + committed.COMPACTIONS + "/*"}
    assert all(fact.name.startswith("fact_") for fact in schema.FACTS)
    deleting = statements["DeleteSupersededSnapshots"]
    assert deleting["actions"] == ["s3:DeleteObject"]
    # The transform writes dimensions to dim_*/snapshot=<batch>, current state to _current/<table>/snapshot=<batch>.
    assert set(deleting["resources"]) == {
        zone + "dim_*/" + retention.SNAPSHOT + "*",
        zone + "_current/*/" + retention.SNAPSHOT + "*",
    }
    assert all(dim.name.startswith("dim_") for dim in schema.DIMENSIONS)
    writing = {sid for sid, s in statements.items() if {"s3:PutObject", "s3:DeleteObject"} & set(s["actions"])}
    assert writing == {"CompactTheFactPartitions", "DeleteSupersededSnapshots"}, "manifests stay read-only"


def test_an_audit_that_finds_missed_changes_raises_an_alarm(root_module):
    from gamboge.ingest import job as ingest

    assert root_module["locals"]["ingest_audit_missed_event"] == ingest.AUDIT_MISSED
    (metric_filter,) = _resources(root_module, "aws_cloudwatch_log_metric_filter").values()
    assert metric_filter["pattern"] == '{ $.event = "${local.ingest_audit_missed_event}" }'
    assert metric_filter["for_each"] == "${toset(local.ingest_error_log_groups)}"
    alarm = _resources(root_module, "aws_cloudwatch_metric_alarm")["ingest_audit_missed"]
    assert alarm["metric_name"] == metric_filter["metric_transformation"][0]["name"]
    assert alarm["alarm_actions"] == ["${aws_sns_topic.job_failures.arn}"]


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


# --- account-wide settings stay opt-in ------------------------------------------------------------


def test_the_schedule_starts_disabled_until_the_source_secret_has_a_value(root_module):
    variable = root_module["variable"]["schedule_enabled"]
    assert variable["default"] is False
    assert "secret" in variable["description"]
    trigger = _resources(root_module, "aws_glue_trigger")["ingest_on_schedule"]
    assert trigger["enabled"] == trigger["start_on_creation"] == "${var.schedule_enabled}"


def test_catalog_encryption_is_not_taken_over_by_default(root_module):
    # The Data Catalog encryption settings are one per account and region: a stack that sets them
    # by default re-keys every other team's catalog with its own key.
    assert root_module["variable"]["manage_catalog_encryption"]["default"] is False
    (settings,) = _resources(root_module, "aws_glue_data_catalog_encryption_settings").values()
    assert settings["count"] == "${var.manage_catalog_encryption ? 1 : 0}"


# --- job logs: every group Glue may write to exists with a retention and the key ----------------


def test_spark_jobs_choose_their_log_groups_with_the_glue_5_argument(root_module):
    # Glue 5.0 ignores --continuous-log-logGroup; --custom-logGroup-prefix picks <prefix>/error|output.
    for key, job in _resources(root_module, "aws_glue_job").items():
        arguments = job["default_arguments"]
        assert "--continuous-log-logGroup" not in arguments, key
        (command,) = job["command"]
        if command["name"] == "glueetl":
            assert arguments["--custom-logGroup-prefix"] == '${local.spark_log_group_prefix["' + key + '"]}'
        else:
            assert "--custom-logGroup-prefix" not in arguments, "Python shell logs to /aws-glue/python-jobs"


def test_job_log_group_names_follow_glue_and_the_security_configuration(root_module):
    local = root_module["locals"]
    (security,) = _resources(root_module, "aws_glue_security_configuration").values()
    assert security["name"] == "${local.security_configuration_name}"
    assert _resources(root_module, "aws_iam_role")["job"]["name"] == "${local.job_role_names[each.key]}"
    (encryption,) = security["encryption_configuration"]
    assert encryption["cloudwatch_encryption"][0]["cloudwatch_encryption_mode"] == "SSE-KMS"
    assert local["security_configuration_part"].endswith(
        ': key => "${local.security_configuration_name}-role/${role}"}}'
    )

    bases = local["job_log_group_bases"]
    part = '${local.security_configuration_part["%s"]}'
    prefix = '${local.spark_log_group_prefix["%s"]}'
    assert bases["ingest"] == ["/aws-glue/python-jobs/" + part % "ingest"]
    for key in ("transform", "load"):
        assert set(bases[key]) == {prefix % key, f"{prefix % key}/{part % key}", "/aws-glue/jobs/" + part % key}
    assert set(bases) == set(workflow.JOBS_BY_KEY)
    assert "setproduct(bases, [error, output])" in local["job_log_groups"]
    assert local["python_shell_log_groups"] == ["/aws-glue/python-jobs/error", "/aws-glue/python-jobs/output"]


def test_job_log_groups_keep_logs_for_log_retention_days_under_the_stack_key(root_module):
    groups = _resources(root_module, "aws_cloudwatch_log_group")
    assert groups["job"]["for_each"] == "${local.job_log_groups}"
    for name in ("job", "python_shell_shared"):
        assert groups[name]["name"] == "${each.key}"
        assert groups[name]["retention_in_days"] == "${var.log_retention_days}", name
        assert groups[name]["kms_key_id"] == "${aws_kms_key.data.arn}", name
    # The unqualified Python shell groups are the account's, not this stack's: opt-in, kept on destroy.
    assert root_module["variable"]["manage_python_shell_log_groups"]["default"] is False
    assert groups["python_shell_shared"]["skip_destroy"] is True


def test_job_roles_write_only_their_own_log_groups(root_module):
    # The logs grant is in the runtime document every job role's policy is built on (job_common).
    (runtime,) = [body for name, body in _policy_documents() if name == "glue_job_runtime"]
    (logs,) = [s for s in runtime["statement"] if any(a.startswith("logs:") for a in s["actions"])]
    assert "each.value.log_groups" in logs["resources"]
    assert "local.job_log_group_names[key]" in root_module["locals"]["glue_job_runtime"]
    (common,) = [body for name, body in _policy_documents() if name == "job_common"]
    assert common["source_policy_documents"] == ["${data.aws_iam_policy_document.glue_job_runtime[each.key].json}"]
    names = root_module["locals"]["job_log_group_names"]
    assert "local.job_log_groups" in names and 'key == "ingest" ? local.python_shell_log_groups' in names
    for where, statement in _iam_statements():
        assert "/aws-glue/*" not in str(statement.get("resources")), f"{where}: logs grant on every /aws-glue group"


def _policy_documents():
    for path in _terraform_files():
        for block in _parse(path).get("data", []):
            yield from block.get("aws_iam_policy_document", {}).items()


def _console(expressions, tmp_path, extra_tf: str = "", extra_vars=None) -> list:
    """Evaluate each expression with `terraform console` over variables.tf (no provider needed)."""
    binary = _terraform_binary()
    shutil.copy(TERRAFORM / "variables.tf", tmp_path / "variables.tf")
    (tmp_path / "extra.tf").write_text(extra_tf)
    wheels = '["gamboge-0.1.0-py3-none-any.whl"]'
    variables = [
        "-var",
        "artifact_version=v1",
        "-var",
        f"python_shell_wheels={wheels}",
        "-var",
        f"spark_wheels={wheels}",
    ]
    variables += ["-var", 'source_db_cidr_blocks=["192.0.2.1/32"]']
    for name, value in (extra_vars or {}).items():
        variables += ["-var", f"{name}={value}"]
    values = []
    for expression in expressions:  # one process each: console answers only the last line of its input
        result = subprocess.run(
            [binary, f"-chdir={tmp_path}", "console", *variables],
            input=expression + "\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        # console reports an invalid variable (a failed validation) as an error but still exits 0.
        failed = result.returncode != 0 or "Error:" in result.stderr + result.stdout
        assert not failed, f"{expression}: {result.stderr}{result.stdout}"
        values.append(result.stdout.strip().splitlines()[-1])
    return values


def _log_group_locals() -> str:
    """The log-group locals block of glue.tf, with the job keys iam.tf declares."""
    text = (TERRAFORM / "glue.tf").read_text()
    start = text.index("locals {", text.index("# --- log groups"))
    end = text.index("\n}\n", start) + 3
    return 'locals {\n  job_keys = toset(["ingest", "transform", "load"])\n}\n' + text[start:end]


def test_job_log_group_names_evaluated_by_terraform(tmp_path):
    (names,) = _console(["jsonencode(keys(local.job_log_groups))"], tmp_path, _log_group_locals())
    assert set(json.loads(json.loads(names))) == {
        f"{base}/{stream}"
        for stream in ("error", "output")
        for base in (
            "/aws-glue/python-jobs/gamboge-dev-jobs-role/gamboge-dev-ingest-job",
            "/aws-glue/gamboge-dev/transform",
            "/aws-glue/gamboge-dev/transform/gamboge-dev-jobs-role/gamboge-dev-transform-job",
            "/aws-glue/jobs/gamboge-dev-jobs-role/gamboge-dev-transform-job",
            "/aws-glue/gamboge-dev/load",
            "/aws-glue/gamboge-dev/load/gamboge-dev-jobs-role/gamboge-dev-load-job",
            "/aws-glue/jobs/gamboge-dev-jobs-role/gamboge-dev-load-job",
        )
    }


# --- the network plan holds for every vpc_cidr the validation allows ------------------------------

ALLOWED_VPC_PREFIXES = range(16, 21)  # vpc_cidr: /16 (the largest VPC AWS allows) to /20


def _cidrsubnet(prefix: str, newbits: int, netnum: int) -> ipaddress.IPv4Network:
    """Terraform's cidrsubnet(), which fails when netnum does not fit in newbits."""
    network = ipaddress.ip_network(prefix)
    assert 0 <= netnum < 2**newbits, f"cidrsubnet({prefix}, {newbits}, {netnum}): netnum does not fit"
    return list(network.subnets(new_prefix=network.prefixlen + newbits))[netnum]


def _subnet_plan(root_module: dict, vpc_cidr: str) -> dict:
    """The private and NAT subnet CIDRs network.tf computes, evaluated here for one vpc_cidr."""
    local = root_module["locals"]
    assert local["subnet_newbits"] == '${24 - tonumber(split("/", var.vpc_cidr)[1])}'
    assert local["nat_subnet_netnum"] == "${pow(2, local.subnet_newbits) - 1}"
    newbits = 24 - int(vpc_cidr.split("/")[1])
    netnum = {"private": lambda index: index, "nat": lambda _: 2**newbits - 1}
    private = _resources(root_module, "aws_subnet")["private"]
    nat = _resources(root_module, "aws_subnet")["public_nat"]
    assert private["cidr_block"] == "${cidrsubnet(var.vpc_cidr, local.subnet_newbits, count.index)}"
    assert nat["cidr_block"] == "${cidrsubnet(var.vpc_cidr, local.subnet_newbits, local.nat_subnet_netnum)}"
    return {
        "private": [_cidrsubnet(vpc_cidr, newbits, netnum["private"](i)) for i in range(2)],
        "nat": _cidrsubnet(vpc_cidr, newbits, netnum["nat"](None)),
    }


def test_vpc_cidr_validation_allows_slash_16_to_slash_20(root_module):
    (validation,) = root_module["variable"]["vpc_cidr"]["validation"]
    bounds = re.findall(r"(>=|<=) (\d+)", validation["condition"])
    assert bounds == [(">=", str(min(ALLOWED_VPC_PREFIXES))), ("<=", str(max(ALLOWED_VPC_PREFIXES)))]
    assert root_module["variable"]["vpc_cidr"]["default"].endswith("/16")


@pytest.mark.parametrize("prefix", ALLOWED_VPC_PREFIXES)
def test_subnets_fit_every_allowed_vpc_cidr(root_module, prefix):
    vpc = ipaddress.ip_network(f"10.40.0.0/{prefix}")
    plan = _subnet_plan(root_module, str(vpc))
    subnets = [*plan["private"], plan["nat"]]
    assert all(subnet.prefixlen == 24 and subnet.subnet_of(vpc) for subnet in subnets)
    assert len(set(subnets)) == 3, f"/{prefix}: subnets overlap: {subnets}"


def test_terraform_computes_the_same_subnets(root_module, tmp_path):
    # The same check with terraform's own cidrsubnet() and the vpc_cidr validation itself.
    text = (TERRAFORM / "network.tf").read_text()
    start = text.rindex("locals {", 0, text.index("subnet_newbits"))
    block = text[start : text.index("\n}\n", start) + 3]
    nat = "cidrsubnet(var.vpc_cidr, local.subnet_newbits, local.nat_subnet_netnum)"
    for prefix in ALLOWED_VPC_PREFIXES:
        vpc_cidr = f"10.40.0.0/{prefix}"
        expected = _subnet_plan(root_module, vpc_cidr)
        (value,) = _console([nat], tmp_path, block, {"vpc_cidr": vpc_cidr})
        assert json.loads(value) == str(expected["nat"])
    for rejected in ("10.0.0.0/15", "10.40.0.0/21"):
        with pytest.raises(AssertionError, match="vpc_cidr must be"):
            _console(["var.vpc_cidr"], tmp_path, "", {"vpc_cidr": rejected})


# --- every bucket name fits S3's 63 characters for every value the validations accept -------------

S3_BUCKET_NAME_MAX = 63
ACCOUNT_ID_LENGTH = 12


def _validation_regex(root_module: dict, variable: str) -> str:
    (validation,) = root_module["variable"][variable]["validation"]
    match = re.search(r'regex\("(.+?)", var\.' + variable + r"\)", validation["condition"])
    assert match, validation["condition"]
    return match.group(1).replace("\\\\", "\\")


def _longest_match(pattern: str) -> int:
    """The most characters a string matching ``pattern`` can have (fails if unbounded)."""
    import re._parser as regex_parser  # the parser behind re: the width of a pattern

    shortest, longest = regex_parser.parse(pattern).getwidth()
    assert longest < 1000, f"{pattern} accepts arbitrarily long values"
    return longest


def _longest(template: str, longest: dict) -> int:
    """Length of ``template`` with each ${reference} at its longest."""
    references = re.findall(r"\$\{([^}]+)\}", template)
    assert set(references) <= set(longest), f"unknown references in {template}: {set(references) - set(longest)}"
    return len(re.sub(r"\$\{[^}]+\}", "", template)) + sum(longest[r] for r in references)


def test_the_validations_bound_the_name_parts(root_module):
    assert _longest_match(_validation_regex(root_module, "project_name")) == 8
    assert _longest_match(_validation_regex(root_module, "environment")) == 7
    assert _longest_match(_validation_regex(root_module, "aws_region")) == 18
    region = re.compile(_validation_regex(root_module, "aws_region"))
    for name in ("eu-west-2", "us-east-1", "ap-southeast-1", "ap-northeast-3", "ca-central-1", "us-gov-west-1"):
        assert region.fullmatch(name), f"{name} is a real region"
    project = re.compile(_validation_regex(root_module, "project_name"))
    assert project.fullmatch("gamboge") and not project.fullmatch("gamboge-"), "no bucket name with '--'"
    (validation,) = root_module["variable"]["project_name"]["validation"]
    assert 'strcontains(var.project_name, "--")' in validation["condition"]


def test_every_bucket_name_fits_63_characters(root_module):
    longest = {
        "var.project_name": _longest_match(_validation_regex(root_module, "project_name")),
        "var.environment": _longest_match(_validation_regex(root_module, "environment")),
        # local.region is the provider's region, var.aws_region
        "local.region": _longest_match(_validation_regex(root_module, "aws_region")),
        "local.account_id": ACCOUNT_ID_LENGTH,
        "each.key": max(len(key) for key in root_module["locals"]["lake_buckets"]),
    }
    assert root_module["locals"]["region"] == "${data.aws_region.current.name}"
    longest["local.name_suffix"] = _longest(root_module["locals"]["name_suffix"], longest)
    (bucket_module,) = root_module["module"].values()
    names = [bucket_module["bucket_name"], _resources(root_module, "aws_s3_bucket")["access_logs"]["bucket"]]
    for template in names:
        assert _longest(template, longest) <= S3_BUCKET_NAME_MAX, f"{template} can reach {_longest(template, longest)}"
    # The longest one is exactly at the limit: the validations are as loose as the names allow.
    assert max(_longest(template, longest) for template in names) == S3_BUCKET_NAME_MAX


@pytest.mark.parametrize(
    ("variable", "accepted", "rejected"),
    [
        ("project_name", ["gamboge", "ab", "my-proj1"], ["gamboge-", "ab--c", "toolongxx", "1abc"]),
        ("environment", ["dev", "staging", "prod2"], ["staging1", "d", "dev-1"]),
        ("aws_region", ["eu-west-2", "ap-southeast-1", "us-gov-west-1"], ["eu-west", "xx-verylongname-1"]),
    ],
)
def test_terraform_applies_the_name_validations(tmp_path, variable, accepted, rejected):
    for value in accepted:
        _console([f"var.{variable}"], tmp_path, "", {variable: value})
    for value in rejected:
        with pytest.raises(AssertionError, match="Invalid value for variable"):
            _console([f"var.{variable}"], tmp_path, "", {variable: value})


def test_every_aws_service_a_job_calls_has_a_vpc_endpoint(root_module):
    # No internet egress: a service without an endpoint is unreachable from the jobs' subnet.
    (listed,) = re.findall(r"toset\(\[(.*)\]\)", root_module["locals"]["interface_endpoint_services"])
    services = {name.strip(' "') for name in listed.split(",")}
    assert {"secretsmanager", "glue", "logs", "kms", "sts"} <= services
    metrics = [
        k for k, j in _resources(root_module, "aws_glue_job").items() if "--enable-metrics" in j["default_arguments"]
    ]
    assert metrics and "monitoring" in services  # CloudWatch metrics of --enable-metrics
