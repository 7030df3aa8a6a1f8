"""Settings of the request benchmark (bench/request_cost.py): the application's own, plus a trivial view and form.

Only two changes: the URLconf adds the trivial pages (bench/bench_urls.py), and the session and CSRF
cookies may travel over the plain HTTP the benchmark speaks to 127.0.0.1 (production marks them secure).
"""
from pv_tracker.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.bench_urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
