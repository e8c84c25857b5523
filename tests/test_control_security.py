"""Only its owner can use the control plane: no other origin, no preflight, JSON POSTs only, a
token when one is set; bugs of the fake are visible over HTTP."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import urllib.parse
from typing import Any

import pytest
from helpers import control
from werkzeug.test import Client

from mockfiles import MockFiles
from mockfiles.cli import network_warning
from mockfiles.http import app as app_module
from mockfiles.http.routes import CONTROL_PREFIX, URL_MAP

EVIL = "http://evil.example"

#: Every control endpoint, with a body that would change the fake if it were let through.
CONTROL_REQUESTS = [
    (method, rule.rule)
    for rule in URL_MAP.iter_rules()
    if rule.rule.startswith(CONTROL_PREFIX)
    for method in sorted((rule.methods or set()) - {"HEAD"})
]
HARMFUL_BODIES = {
    "/_mockfiles/clock": {"advance": 3600},
    "/_mockfiles/limits": {"storage_bytes": 1},
    "/_mockfiles/keys": {"key": "sk-evil-page-key", "project": "proj_mockfiles"},
    "/_mockfiles/faults": {"spec": "*:delay:seconds=3600"},
    "/_mockfiles/files": {"purpose": "batch_output", "filename": "x.jsonl", "content": "{}"},
    "/_mockfiles/batches/respond": {"error": {"message": "planted", "status_code": 500}},
    "/_mockfiles/batches/timing": {"in_progress": 86_400},
}


def test_every_control_endpoint_is_covered_here() -> None:
    assert len(CONTROL_REQUESTS) == 20
    assert {"/_mockfiles/reset", "/_mockfiles/bugs", "/_mockfiles/journal"} <= {
        path for _, path in CONTROL_REQUESTS
    }


def snapshot(mock: MockFiles) -> dict[str, Any]:
    """Everything a control request could change."""
    return {
        "now": round(mock.clock.now() / 60),  # an hour's move shows; a second's run does not
        "files": [file.id for file in mock.files()],
        "calls": [call.request_id for call in mock.calls()],
        "limits": mock.limits,
        "keys": mock.keys.grants(),
        "faults": [rule.describe() for rule in mock.faults.rules],
        "bugs": len(mock.bugs),
        "batch_timing": mock.batches.timing,
        "batch_responder": mock.batches._responder,
    }


@pytest.fixture
def mock() -> MockFiles:
    fake = MockFiles(seed=7, now="2026-01-01T00:00:00Z", keys={"sk-owner": "proj_mockfiles"})
    fake.add_file(purpose="assistants", size=3)
    client = Client(fake.app)
    client.get("/v1/files", headers={"Authorization": "Bearer sk-owner"})
    return fake


@pytest.mark.parametrize(("method", "path"), CONTROL_REQUESTS)
def test_a_cross_origin_page_is_refused_and_changes_nothing(
    mock: MockFiles, method: str, path: str
) -> None:
    before = snapshot(mock)
    response = Client(mock.app).open(
        path,
        method=method,
        data=json.dumps(HARMFUL_BODIES.get(path, {})),
        headers={"Origin": EVIL, "Content-Type": "text/plain"},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "control_plane_refused"
    assert not [name for name, _ in response.headers if name.lower().startswith("access-")]
    assert snapshot(mock) == before


def test_a_cross_origin_page_is_refused_over_a_socket(mockfiles: MockFiles) -> None:
    """The same, through the real server, for every endpoint."""
    mockfiles.add_file(purpose="assistants", size=3)
    before = snapshot(mockfiles)
    where = urllib.parse.urlsplit(mockfiles.url)
    for method, path in CONTROL_REQUESTS:
        connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
        try:
            connection.request(
                method,
                path,
                body=json.dumps(HARMFUL_BODIES.get(path, {})),
                headers={"Origin": EVIL, "Content-Type": "text/plain"},
            )
            answer = connection.getresponse()
            assert (method, path, answer.status) == (method, path, 403)
            assert answer.getheader("access-control-allow-origin") is None
            answer.read()
        finally:
            connection.close()
    assert snapshot(mockfiles) == before


@pytest.mark.parametrize("path", ["/_mockfiles/reset", "/_mockfiles/clock", "/_mockfiles/nowhere"])
def test_a_preflight_to_the_control_plane_is_refused(mock: MockFiles, path: str) -> None:
    for headers in (
        {"Origin": EVIL, "Access-Control-Request-Method": "POST"},
        {"Access-Control-Request-Method": "POST"},
    ):
        response = Client(mock.app).options(path, headers=headers)
        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-methods" not in response.headers


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_control_post_must_be_declared_json(mock: MockFiles, content_type: str | None) -> None:
    before = snapshot(mock)
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = Client(mock.app).post("/_mockfiles/clock", data='{"advance": 3600}', headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unsupported_content_type"
    assert snapshot(mock) == before
    ok = Client(mock.app).post(
        "/_mockfiles/clock",
        data='{"advance": 3600}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 200


def test_the_owner_is_let_in_with_no_origin_or_its_own(mockfiles: MockFiles) -> None:
    root = mockfiles.url.removesuffix("/v1")
    assert control(root, "GET", "clock").status == 200
    where = urllib.parse.urlsplit(root)
    for origin, status in [(root, 200), (f"http://localhost:{where.port}", 403), ("null", 403)]:
        connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
        try:
            connection.request("GET", "/_mockfiles/clock", headers={"Origin": origin})
            assert (origin, connection.getresponse().status) == (origin, status)
        finally:
            connection.close()


def test_a_page_under_a_rebound_dns_name_is_refused(mock: MockFiles) -> None:
    """DNS rebinding: the page's origin equals the Host it sent, but names no IP address."""
    response = Client(mock.app).post(
        "/_mockfiles/reset",
        headers={
            "Host": "rebound.example:8000",
            "Origin": "http://rebound.example:8000",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 403
    localhost = Client(mock.app).post(
        "/_mockfiles/reset",
        headers={
            "Host": "localhost:8000",
            "Origin": "http://localhost:8000",
            "Content-Type": "application/json",
        },
    )
    assert localhost.status_code == 200


def test_control_answers_carry_no_cors_headers_but_api_answers_do(mock: MockFiles) -> None:
    client = Client(mock.app)
    control_answer = client.get("/_mockfiles/state")
    assert control_answer.status_code == 200
    assert not [name for name, _ in control_answer.headers if name.lower().startswith("access")]
    api_answer = client.get("/v1/files", headers={"Authorization": "Bearer sk-owner"})
    assert api_answer.headers["access-control-allow-origin"] == "*"


def test_keys_are_listed_masked(mock: MockFiles) -> None:
    mock.add_key("sk-proj-abcdefghijklmnopqrstuvwxyz0123")
    listed = Client(mock.app).get("/_mockfiles/keys").get_json()["data"]
    assert [entry["key"] for entry in listed] == ["sk-owner", "sk-proj-" + "*" * 26 + "0123"]


def test_a_control_token_is_required_when_set() -> None:
    mock = MockFiles(control_token="s3cret")
    client = Client(mock.app)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
        refused = client.post("/_mockfiles/reset", headers={**headers, "Content-Type": "x/y"})
        assert refused.status_code == 401
        assert refused.get_json()["error"]["code"] == "invalid_control_token"
    assert client.get("/_mockfiles/clock").status_code == 401
    allowed = client.get("/_mockfiles/clock", headers={"Authorization": "Bearer s3cret"})
    assert allowed.status_code == 200
    # The API itself still takes any key: the token guards the control plane only.
    assert client.get("/v1/files", headers={"Authorization": "Bearer sk-any"}).status_code == 200


def test_binding_beyond_loopback_is_warned_about() -> None:
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert network_warning(host, None) is None
    warning = network_warning("0.0.0.0", None)
    assert warning is not None
    assert "reachable from the network" in warning
    assert "--control-token" in warning
    assert "--control-token" not in (network_warning("192.168.1.5", "t") or "")
    assert network_warning("mockfiles.internal", "t") is not None


def broken_view(*args: object) -> object:
    raise RuntimeError("the list is on fire")


def test_bugs_are_listed_and_cleared_over_http(
    mock: MockFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app_module.OPERATION_VIEWS, "files.list", broken_view)
    client = Client(mock.app)
    assert (
        client.get("/v1/files?x=1", headers={"Authorization": "Bearer sk-owner"}).status_code == 500
    )
    [bug] = client.get("/_mockfiles/bugs").get_json()["data"]
    assert (bug["method"], bug["path"]) == ("GET", "/v1/files?x=1")
    assert bug["error"] == "RuntimeError('the list is on fire')"
    assert "the list is on fire" in bug["traceback"]
    assert client.delete("/_mockfiles/bugs").get_json() == {"data": []}
    assert mock.bugs == []


def test_serve_prints_each_bug_to_stderr_and_takes_a_control_token() -> None:
    """One process for both (each costs a Python start-up)."""
    script = (
        "import sys; from mockfiles import cli; from mockfiles.http import app\n"
        "def broken(*args): raise RuntimeError('the list is on fire')\n"
        "app.OPERATION_VIEWS['files.list'] = broken\n"
        "sys.exit(cli.main(['serve', '--control-token', 't0ken']))\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            url = process.stdout.readline().strip()
            assert process.stderr.readline().startswith("mockfiles: serving")
            where = urllib.parse.urlsplit(url)
            connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
            connection.request("GET", "/v1/files", headers={"Authorization": "Bearer sk-a"})
            assert connection.getresponse().status == 500
            connection.close()
            assert process.stderr.readline() == "mockfiles failed on GET /v1/files:\n"
            assert process.stderr.readline() == "Traceback (most recent call last):\n"
            assert control(url, "GET", "clock").status == 401
            assert control(url, "POST", "reset", token="t0ken").status == 200
        finally:
            process.terminate()
            process.wait(10)


@pytest.mark.mockfiles(control_token="marked")
def test_the_marker_sets_a_control_token(mockfiles: MockFiles) -> None:
    assert control(mockfiles.url, "GET", "clock").status == 401
    assert control(mockfiles.url, "GET", "clock", token="marked").status == 200
