"""The embedded PostgreSQL: created, started, idempotent, and reachable through `gamboge db`."""

import os
import subprocess
import sys

import psycopg

from gamboge.dev import localpg


def _gamboge(home, *argv, env_extra=None):
    env = dict(os.environ, GAMBOGE_HOME=str(home))
    env.pop("GAMBOGE_SOURCE_DSN", None)
    env.pop("GAMBOGE_WAREHOUSE_DSN", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "gamboge.cli", *argv], capture_output=True, text=True, env=env)


def test_db_up_is_idempotent_and_prints_both_dsns(tmp_path):
    os.chmod(tmp_path, 0o755)
    first = _gamboge(tmp_path, "db", "up")
    try:
        assert first.returncode == 0, first.stderr
        lines = first.stdout.splitlines()
        assert lines[0].startswith("source:    postgresql://gamboge@127.0.0.1:") and lines[0].endswith("/totesys")
        assert lines[1].endswith("/warehouse")
        again = _gamboge(tmp_path, "db", "up")
        assert again.returncode == 0 and again.stdout == first.stdout
        url = _gamboge(tmp_path, "db", "url", "warehouse")
        assert url.stdout.strip() == lines[1].split()[-1]
        with psycopg.connect(url.stdout.strip()) as conn:
            assert conn.execute("SELECT current_database(), current_setting('TimeZone')").fetchone() == (
                "warehouse",
                "UTC",
            )
        status = _gamboge(tmp_path, "db", "status")
        assert status.returncode == 0 and "running on 127.0.0.1:" in status.stdout
    finally:
        down = _gamboge(tmp_path, "db", "down")
    assert down.stdout.strip() == "stopped"
    assert _gamboge(tmp_path, "db", "status").returncode == 3


def test_env_dsn_overrides_the_embedded_server(tmp_path):
    url = _gamboge(
        tmp_path, "db", "url", "source", env_extra={"GAMBOGE_SOURCE_DSN": "postgresql://x@db.example/totesys"}
    )
    assert url.returncode == 0 and url.stdout.strip() == "postgresql://x@db.example/totesys"


def test_missing_binaries_name_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(localpg.glob, "glob", lambda pattern: [])
    try:
        localpg.find_bindir()
    except localpg.PostgresNotInstalled as exc:
        assert "apt-get install -y postgresql" in str(exc) and "brew install postgresql@15" in str(exc)
    else:
        raise AssertionError("find_bindir() should fail without PostgreSQL binaries")


def test_help_explains_every_command():
    result = subprocess.run([sys.executable, "-m", "gamboge.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "db" in result.stdout and "GAMBOGE_SOURCE_DSN" in result.stdout


def test_missing_java_names_what_to_install(monkeypatch):
    from gamboge.spark.session import local_session

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    try:
        local_session("no-java")
    except RuntimeError as exc:
        assert "openjdk-17-jre-headless" in str(exc) and "brew install openjdk@17" in str(exc)
    else:
        raise AssertionError("local_session() should fail without Java")
