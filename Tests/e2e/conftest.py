"""Fixtures for the end-to-end suite: real `sfu` processes on free ports.

Every server started here is killed at the end of the session (and at
interpreter exit); a failing test gets the server log written during it
attached to its report.
"""
from __future__ import annotations

import atexit
import sys

sys.dont_write_bytecode = True

import pytest  # noqa: E402

from e2elib import (  # noqa: E402
    ALL_SERVERS, ALICE_ID, ALICE_SECRET, Api, ServerStartError, SfuServer,
    fetch_token, kill_all_servers,
)

atexit.register(kill_all_servers)


def _start(name: str, *args: str) -> SfuServer:
    srv = SfuServer(name, args)
    try:
        return srv.start()
    except ServerStartError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _kill_servers_at_end():
    yield
    kill_all_servers()


@pytest.fixture(scope="session")
def server() -> SfuServer:
    """The main server: auth on, default timeouts."""
    return _start("main")


@pytest.fixture(scope="session")
def timeout_server() -> SfuServer:
    return _start("timeouts", "--header-timeout", "1", "--body-timeout", "1")


@pytest.fixture(scope="session")
def maxconn_server() -> SfuServer:
    return _start("maxconn", "--max-connections", "5")


@pytest.fixture(scope="session")
def idle_server() -> SfuServer:
    return _start("idle", "--conference-idle-timeout", "1")


@pytest.fixture(scope="session")
def noauth_server() -> SfuServer:
    return _start("noauth", "--auth", "off")


@pytest.fixture(scope="session")
def svc_token(server) -> str:
    return fetch_token(server.base)


@pytest.fixture(scope="session")
def api(server, svc_token) -> Api:
    """A SERVICE client of the main server."""
    return Api(server.base, svc_token)


@pytest.fixture(scope="session")
def token_for(server):
    """token_for("bob") -> a PARTICIPANT token for user bob (SERVICE delegation)."""
    cache: dict[str, str] = {}

    def get(user: str) -> str:
        if user not in cache:
            cache[user] = fetch_token(server.base, user_id=user)
        return cache[user]
    return get


@pytest.fixture(scope="session")
def alice_token(server) -> str:
    return fetch_token(server.base, ALICE_ID, ALICE_SECRET)


# --------------------------------------------------------------------------
# Attach the server logs written during a failing test to its report.
# --------------------------------------------------------------------------

def pytest_runtest_setup(item):
    item._sfu_log_offsets = {id(s): s.log_size() for s in ALL_SERVERS}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    offsets = getattr(item, "_sfu_log_offsets", {})
    for s in list(ALL_SERVERS):
        text = s.log_since(offsets.get(id(s), 0))
        if text.strip():
            rep.sections.append((f"sfu server '{s.name}' (port {s.port}) log, {s.log_path}", text))
