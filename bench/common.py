"""What the benchmark scripts share: a fresh database of their own, never the dev or test one."""
import os
import secrets
import sys
from urllib.parse import urlparse


def use_fresh_database(db, var_dir, postgres_url, keep=False):
    """Point the settings at an empty database before Django is set up (SQLite file or PostgreSQL);
    `keep` points them at the one a previous run left instead."""
    os.environ.update(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="testserver", MFA_REQUIRED="false",
                      SECURE_SSL_REDIRECT="false", LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="pv_tracker.settings")
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PV_VAR_DIR"] = str(var_dir)
    os.environ["CELERY_BROKER_URL"] = "filesystem://"  # required with DEBUG off; the benches send no task
    if db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        if keep:
            return
        for suffix in ("", "-wal", "-shm"):
            (var_dir / f"db.sqlite3{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    url = urlparse(postgres_url)
    name = url.path.lstrip("/")
    if not name.startswith("pv_bench"):
        sys.exit(f"Refusing to drop {name!r}: the bench database name must start with pv_bench.")
    if keep:
        os.environ["DATABASE_URL"] = postgres_url
        return
    admin = url._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        sys.exit(f"PostgreSQL is not reachable at {admin}: {exc}")
    os.environ["DATABASE_URL"] = postgres_url
