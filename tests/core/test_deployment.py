"""docker-compose.yml and the settings agree; there is no Docker engine here to run the stack."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_PRODUCTION_ENV = {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_names_read_by_settings():
    source = (ROOT / "pv_tracker" / "settings.py").read_text()
    return set(re.findall(r'(?:env_\w+|os\.environ\.get)\(\s*"([A-Z0-9_]+)"', source))


def test_the_compose_file_has_every_service_with_a_health_check_where_it_can_have_one():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "worker", "postgres", "redis"):
        assert "healthcheck" in services[name], name


def test_every_app_service_gets_the_production_env_and_only_names_settings_read():
    known = env_names_read_by_settings()
    assert REQUIRED_PRODUCTION_ENV <= known
    for name in ("web", "worker", "beat"):
        env = compose()["services"][name]["environment"]
        assert REQUIRED_PRODUCTION_ENV <= set(env), name
        assert set(env) <= known, f"{name} sets variables the settings never read: {set(env) - known}"
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")


def test_the_compose_commands_name_real_entry_points():
    services = compose()["services"]
    assert "gunicorn pv_tracker.wsgi:application" in services["web"]["command"]
    assert "manage.py migrate" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A pv_tracker worker")
    assert services["beat"]["command"].startswith("celery -A pv_tracker beat")
    from pv_tracker.celery import app
    from pv_tracker.wsgi import application

    assert callable(application)
    assert app.main == "pv_tracker"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "pv_tracker.wsgi:application" in dockerfile


def run_settings(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "CELERY_BROKER_URL")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "pv_tracker.settings"},
        capture_output=True, text=True, timeout=60)


def test_production_mode_refuses_to_start_without_a_secret_key():
    result = run_settings({"DEBUG": "false", "ALLOWED_HOSTS": "pv.example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_refuses_to_start_without_allowed_hosts():
    result = run_settings({"DEBUG": "false", "SECRET_KEY": "x" * 50, "CELERY_BROKER_URL": "redis://redis:6379/0"})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_mode_refuses_to_start_without_a_broker():
    """The filesystem broker is the default only with DEBUG on: on two hosts it would queue to itself."""
    result = run_settings({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "pv.example.org"})
    assert result.returncode != 0
    assert "CELERY_BROKER_URL must be set when DEBUG is false" in result.stderr
    debug = run_settings({"DEBUG": "true"})
    assert debug.returncode == 0, debug.stderr


def test_a_malformed_boolean_is_named_in_the_error():
    result = run_settings({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_production_mode_starts_with_its_settings():
    result = run_settings({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "pv.example.org",
                           "CELERY_BROKER_URL": "redis://redis:6379/0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_that_allows_only_the_app_itself(client):
    header = client.get("/accounts/login/").headers["Content-Security-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"].startswith("'self'") and "unsafe" not in policy["script-src"]
    assert "http" not in header  # no CDN or other origin


def test_the_deploy_check_is_clean_in_production_mode():
    # (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; no deployment sets it)
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DEBUG="false", SECRET_KEY="k" * 20 + "-Zq9!x" * 10, ALLOWED_HOSTS="pv.example.org",
               CELERY_BROKER_URL=env.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_code_version_is_fixed_at_build_time(settings, tmp_path):
    """Every container of one image reports the version written into it when it was built."""
    from apps.reports.services import code_version

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ARG CODE_VERSION=""' in dockerfile and "> CODE_VERSION" in dockerfile
    assert "CODE_VERSION" in compose()["x-app"]["build"]["args"]
    settings.CODE_VERSION_FILE = tmp_path / "CODE_VERSION"
    settings.CODE_VERSION_FILE.write_text("git:v1.4.2-0-gabc1234\n")
    code_version.cache_clear()
    try:
        assert code_version() == "git:v1.4.2-0-gabc1234"
        settings.CODE_VERSION_FILE = tmp_path / "absent"
        code_version.cache_clear()
        assert code_version().startswith(("git:", "pv-tracker "))
    finally:
        code_version.cache_clear()


def test_gunicorn_runs_threaded_workers_sized_to_the_cores():
    import multiprocessing

    config = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), config)  # noqa: S102 - our own config file
    assert config["worker_class"] == "gthread" and config["threads"] >= 2
    assert config["workers"] == int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
    assert "--config gunicorn.conf.py" in compose()["services"]["web"]["command"]
    assert '"--config", "gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
