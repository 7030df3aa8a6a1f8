"""gunicorn settings for the web service (Dockerfile and docker-compose.yml use this file).

gthread workers overlap database waits: with sync workers every query was a wait no other
request could use (at 60 concurrent clients p50 was 2.4-3.4 s with three sync workers). One
process per core keeps Python's CPU work parallel; threads per process cover the waits.
Every value can be set from the environment (WEB_CONCURRENCY, GUNICORN_THREADS, PORT, ...).
"""
import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
