"""The dict router matches exactly as werkzeug's ``Map`` it is built from."""

from __future__ import annotations

import itertools

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from mockfiles.http.routes import URL_MAP, Router

METHODS = ["GET", "HEAD", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"]
SEGMENTS = ["", "v1", "files", "uploads", "content", "parts", "complete", "cancel", "_mockfiles"]
SEGMENTS += ["clock", "bugs", "file-abc", "ü", "a b", "%2F", "..", "."]


def werkzeug_match(url_map: Map, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    adapter = url_map.bind("localhost")
    try:
        endpoint, args = adapter.match(path, method)
    except HTTPException:  # 404, 405 and redirects alike: no match for the fake
        return None
    return str(endpoint), {name: str(value) for name, value in args.items()}


def paths() -> list[str]:
    generated = {
        rule.rule.replace("<file_id>", "f").replace("<upload_id>", "u")
        for rule in URL_MAP.iter_rules()
    }
    for length in (1, 2, 3, 4):
        for combination in itertools.product(["v1", "files", "uploads", "x", ""], repeat=length):
            generated.add("/" + "/".join(combination))
    for first, second in itertools.product(SEGMENTS, SEGMENTS):
        generated.update(
            {
                f"/v1/files/{first}",
                f"/v1/files/{first}/{second}",
                f"/v1/uploads/{first}/{second}",
                f"/_mockfiles/{first}",
                f"/{first}/{second}",
            }
        )
    generated.update(
        {"/v1/files/", "/v1/files//content", "/_mockfiles/clock/", "/v1/files/a/content/"}
    )
    return sorted(generated)


def test_the_router_agrees_with_werkzeug_on_every_path_and_method() -> None:
    router = Router(URL_MAP)
    checked = 0
    for path in paths():
        for method in METHODS:
            assert router.match(method, path) == werkzeug_match(URL_MAP, method, path), (
                method,
                path,
            )
            checked += 1
    assert checked > 10_000


def test_the_router_takes_only_whole_segment_placeholders() -> None:
    with pytest.raises(ValueError, match="whole-segment"):
        Router(Map([Rule("/v1/files/file-<file_id>", endpoint="x")]))
