"""The Redis database a test may empty: TEST_REDIS_URL's (CI starts a throwaway server when none
answers), moved up by the number of the test process (pytest-xdist's gw0, gw1, …), so that two
processes running at once never flush each other's keys."""

import os
from urllib.parse import urlsplit, urlunsplit

_server = urlsplit(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1"))
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))

REDIS_URL = urlunsplit(_server._replace(path=f"/{int(_server.path.strip('/') or 0) + _worker}"))
