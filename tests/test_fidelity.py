"""Byte-exact answers, as the real API's recorded exchanges show them (see docs/fidelity.md):
pretty-printed JSON with a trailing newline, the 401's 4-space indent and headers, downloads'
Content-Disposition."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

import pytest
from werkzeug.test import Client

from mockfiles import MockFiles
from mockfiles.http.render import attachment, json_bytes

AUTH = {"Authorization": "Bearer sk-test"}

#: The recorded 401 (openai-dotnet, ChatTests/AuthFailure.json): its body, Content-Length 288.
RECORDED_401_MESSAGE = (
    "Incorrect API key provided: not-a-re**************************ized. You can find your API "
    "key at https://platform.openai.com/account/api-keys."
)


def recorded_length(body: Any, indent: int = 2) -> int:
    """The Content-Length of every recorded JSON answer, as a formula."""
    return len(json.dumps(body, indent=indent, ensure_ascii=False).encode()) + 1


def multipart(filename: str, content: bytes, purpose: str = "assistants") -> tuple[bytes, str]:
    boundary = "fidelity-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n{purpose}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def client() -> Client:
    return Client(MockFiles(seed=3).app)


def test_a_created_file_is_pretty_printed_utf8_with_the_recorded_length(client: Client) -> None:
    body, content_type = multipart("你好.txt", b"Hello! This is a test text file.\n")
    response = client.post("/v1/files", data=body, content_type=content_type, headers=AUTH)
    assert response.status_code == 200
    created = json.loads(response.get_data())
    assert created["filename"] == "你好.txt"
    expected = json.dumps(created, indent=2, ensure_ascii=False).encode() + b"\n"
    assert response.get_data() == expected
    assert "你好".encode() in response.get_data()
    assert int(response.headers["Content-Length"]) == recorded_length(created)
    # The recorded answer for this very upload (FilesTests/NonAsciiFilename.json) was 233 bytes:
    # the same shape, with the real id's length and timestamp, gives the same count.
    same_shape = {**created, "id": "file-Rk1B7rvT3mB7zJJocLrFi1", "created_at": 1780006017}
    assert recorded_length(same_shape) == 233


def test_every_json_answer_follows_the_formula(client: Client) -> None:
    body, content_type = multipart("a.txt", b"abc")
    created = client.post("/v1/files", data=body, content_type=content_type, headers=AUTH)
    file_id = created.get_json()["id"]
    answers = [
        client.get("/v1/files", headers=AUTH),
        client.get(f"/v1/files/{file_id}", headers=AUTH),
        client.get("/v1/files/file-nope", headers=AUTH),
        client.get("/v1/nowhere", headers=AUTH),
        client.post("/v1/uploads", json={"filename": "ü.jsonl"}, headers=AUTH),
        client.delete(f"/v1/files/{file_id}", headers=AUTH),
        client.get("/_mockfiles/state"),
    ]
    for answer in answers:
        data = answer.get_data()
        assert data.endswith(b"}\n")
        assert data == json.dumps(json.loads(data), indent=2, ensure_ascii=False).encode() + b"\n"
        assert int(answer.headers["Content-Length"]) == recorded_length(json.loads(data))


def test_the_401_is_the_recorded_one_byte_for_byte() -> None:
    key = "not-a-re" + "x" * 26 + "ized"
    client = Client(MockFiles(keys={"sk-registered": "proj_a"}).app)
    response = client.get("/v1/files", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    recorded = {
        "error": {
            "message": RECORDED_401_MESSAGE,
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    assert response.get_data() == json.dumps(recorded, indent=4).encode() + b"\n"
    assert response.headers["Content-Length"] == "288"  # as recorded
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Vary"] == "Origin"
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_download_carries_the_recorded_content_disposition(client: Client) -> None:
    body, content_type = multipart("images_dog_and_cat.png", b"\x89PNG", purpose="vision")
    vision = client.post("/v1/files", data=body, content_type=content_type, headers=AUTH)
    download = client.get(f"/v1/files/{vision.get_json()['id']}/content", headers=AUTH)
    assert download.status_code == 200
    assert (
        download.headers["Content-Disposition"] == 'attachment; filename="images_dog_and_cat.png"'
    )
    assert download.headers["Content-Length"] == "4"
    assert download.get_data() == b"\x89PNG"


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("plain.jsonl", 'attachment; filename="plain.jsonl"'),
        ('say "hi".txt', 'attachment; filename="say \\"hi\\".txt"'),
        ("back\\slash.txt", 'attachment; filename="back\\\\slash.txt"'),
        ("你好.txt", "attachment; filename=\"__.txt\"; filename*=UTF-8''%E4%BD%A0%E5%A5%BD.txt"),
        ("tab\there.txt", "attachment; filename=\"tab_here.txt\"; filename*=UTF-8''tab%09here.txt"),
        ("lone\ud800.txt", "attachment; filename=\"lone_.txt\"; filename*=UTF-8''lone%3F.txt"),
    ],
)
def test_content_disposition_escapes_quotes_and_non_ascii(filename: str, header: str) -> None:
    assert attachment(filename) == header
    header.encode("latin-1")  # a header value that can be sent


def test_a_lone_surrogate_in_an_answer_is_escaped_not_a_crash(client: Client) -> None:
    mock_answer = client.post(
        "/v1/uploads",
        data=b'{"filename": "a\\ud800.jsonl", "purpose": "batch", "bytes": 1, "mime_type": "x"}',
        content_type="application/json",
        headers=AUTH,
    )
    assert mock_answer.status_code == 200
    data = mock_answer.get_data()
    assert b'"a\\ud800.jsonl"' in data
    assert data.endswith(b"}\n")
    assert int(mock_answer.headers["Content-Length"]) == len(data)


def test_a_created_file_is_byte_exact_over_a_socket(mockfiles: MockFiles) -> None:
    where = urllib.parse.urlsplit(mockfiles.url)
    body, content_type = multipart("données.jsonl", b'{"a": 1}\n', purpose="vision")
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/v1/files",
            body=body,
            headers={"Content-Type": content_type, "Authorization": f"Bearer {mockfiles.api_key}"},
        )
        answer = connection.getresponse()
        data = answer.read()
        assert answer.status == 200
        created = json.loads(data)
        assert created["filename"] == "données.jsonl"
        assert data == json.dumps(created, indent=2, ensure_ascii=False).encode() + b"\n"
        assert int(answer.getheader("Content-Length") or -1) == recorded_length(created)
        connection.request(
            "GET",
            f"/v1/files/{created['id']}/content",
            headers={"Authorization": f"Bearer {mockfiles.api_key}"},
        )
        download = connection.getresponse()
        assert download.read() == b'{"a": 1}\n'
        assert download.getheader("Content-Disposition") == (
            "attachment; filename=\"donn_es.jsonl\"; filename*=UTF-8''donn%C3%A9es.jsonl"
        )
    finally:
        connection.close()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"a": []},
        {"a": {}, "b": [{}], "c": [[], [1, [2, {"d": None}]]]},
        {"n": 0, "neg": -12, "big": 2**70, "f": 1.5, "tiny": 1e-300, "t": True, "no": False},
        {"text": 'quote " back \\ nl \n tab \t nul \x00 ü 你好 \u2028 😀', "e": ""},
        {"tuple": (1, "x"), "nested": {"deeper": {"deepest": ["a", "b"]}}},
    ],
)
@pytest.mark.parametrize("indent", [2, 4])
def test_the_fast_encoder_writes_what_json_writes(payload: dict[str, Any], indent: int) -> None:
    expected = json.dumps(payload, indent=indent, ensure_ascii=False).encode() + b"\n"
    assert json_bytes(payload, indent) == expected


def test_values_the_fast_encoder_does_not_know_go_to_json() -> None:
    class Number(int):
        pass

    payload = {"sub": Number(3), "nested": {1: "int key"}}
    assert json_bytes(payload) == json.dumps(payload, indent=2).encode() + b"\n"
    with pytest.raises(ValueError, match="not JSON compliant"):
        json_bytes({"nan": float("nan")})
