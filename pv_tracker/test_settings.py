"""The settings of the test run: the project's settings with DEBUG said explicitly, as `make run` does
(DEBUG is off unless set; pytest-django still runs the tests themselves with DEBUG off)."""
import os

os.environ.setdefault("DEBUG", "true")

from .settings import *  # noqa: E402,F401,F403
