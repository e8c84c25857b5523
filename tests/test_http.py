"""The HTTP tier: exact statuses, bodies and headers, through werkzeug's test client."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from mockfiles import MockFiles
from mockfiles.facade import DEFAULT_ORGANIZATION, DEFAULT_PROJECT

AUTH = {"Authorization": "Bearer sk-test"}

MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)


@pytest.fixture
def mock() -> MockFiles:
    return MockFiles(seed=1)


@pytest.fixture
def http(mock: MockFiles) -> Client:
    return Client(mock.app)


def upload(
    http: Client,
    data: bytes = b'{"a": 1}\n',
    name: str = "in.jsonl",
    purpose: str = "batch",
    **kw: Any,
) -> TestResponse:
    form = {"purpose": purpose, "file": (io.BytesIO(data), name)}
    return http.post("/v1/files", data=form, headers=kw.pop("headers", AUTH), **kw)


def multipart(*parts: tuple[str, bytes, str | None], boundary: str = "b0und4ry") -> bytes:
    """A multipart body from (name, value, filename) parts, built by hand so tests control
    exactly what is sent (werkzeug's test client switches to urlencoded without files)."""
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def post_multipart(http: Client, body: bytes, boundary: str = "b0und4ry") -> TestResponse:
    headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    return http.post("/v1/files", data=body, headers=headers)


def error_body(message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        },
        "detail": {"message": message, "code": code},
    }


def test_create_answers_200_with_every_file_key(http: Client, mock: MockFiles) -> None:
    response = upload(http, b"0123456789", name="données.jsonl")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == {
        "object": "file",
        "id": body["id"],
        "purpose": "batch",
        "filename": "données.jsonl",
        "bytes": 10,
        "created_at": body["created_at"],
        "expires_at": body["created_at"] + 2_592_000,  # batch files live 30 days
        "status": "processed",
        "status_details": None,
    }
    assert isinstance(body["created_at"], int)
    assert mock.content(body["id"]) == b"0123456789"


def test_every_answer_carries_the_real_headers(http: Client) -> None:
    for response in (upload(http), http.get("/v1/files", headers=AUTH), http.get("/nope")):
        headers = response.headers
        assert re.fullmatch(r"req_[0-9a-f]{32}", headers["x-request-id"])
        assert headers["openai-version"] == "2020-10-01"
        assert headers["openai-organization"] == DEFAULT_ORGANIZATION
        assert headers["openai-project"] == DEFAULT_PROJECT
        assert re.fullmatch(r"[0-9]+", headers["openai-processing-ms"])
        assert headers["content-type"] == "application/json"


def test_request_ids_differ_between_answers(http: Client) -> None:
    ids = {http.get("/v1/files", headers=AUTH).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_project_and_organization_headers_select_and_are_echoed(http: Client) -> None:
    headers = {**AUTH, "OpenAI-Project": "proj_other", "OpenAI-Organization": "org-other"}
    created = upload(http, headers=headers)
    assert created.headers["openai-project"] == "proj_other"
    assert created.headers["openai-organization"] == "org-other"
    file_id = created.get_json()["id"]
    assert http.get(f"/v1/files/{file_id}", headers=headers).status_code == 200
    assert http.get(f"/v1/files/{file_id}", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Bearer    ", "Token sk-x", "Basic !!!"]
)
def test_a_missing_or_empty_key_is_the_real_401(http: Client, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = http.get("/v1/files", headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {
        "error": {
            "message": MISSING_KEY,
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    # The real 401 carries neither the organization nor the version headers.
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert re.fullmatch(r"req_[0-9a-f]{32}", response.headers["x-request-id"])
    for absent in ("openai-version", "openai-organization", "openai-processing-ms"):
        assert absent not in response.headers


def test_the_key_may_come_as_a_basic_auth_password(http: Client) -> None:
    token = base64.b64encode(b":sk-basic").decode()
    assert http.get("/v1/files", headers={"Authorization": f"Basic {token}"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/v1"),
        ("GET", "/v1/files/"),
        ("PUT", "/v1/files"),
        ("DELETE", "/v1/files"),
        ("POST", "/v1/files/file-abc"),
        ("PATCH", "/v1/files/file-abc"),
        ("POST", "/v1/files/file-abc/content"),
        ("GET", "/v1/files/file-abc/content/extra"),
        ("GET", "/v2/files"),
    ],
)
def test_unknown_routes_and_methods_are_the_real_404(http: Client, method: str, path: str) -> None:
    response = http.open(path, method=method, headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "message": f"Invalid URL ({method} {path})",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }


@pytest.mark.parametrize("operation", ["GET {}", "DELETE {}", "GET {}/content"])
def test_unknown_ids_are_the_real_404_with_detail(http: Client, operation: str) -> None:
    method, _, template = operation.partition(" ")
    response = http.open(template.format("/v1/files/file-nope"), method=method, headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == error_body("No such File object: file-nope", param="id")


def test_missing_file_is_a_required_property_error(http: Client) -> None:
    response = post_multipart(http, multipart(("purpose", b"batch", None)))
    assert response.status_code == 400
    assert response.get_json() == error_body("'file' is a required property")


def test_a_text_field_named_file_is_not_a_file(http: Client) -> None:
    body = multipart(("purpose", b"batch", None), ("file", b"text", None))
    assert post_multipart(http, body).get_json() == error_body("'file' is a required property")


def test_missing_purpose_is_a_required_property_error(http: Client) -> None:
    form = {"file": (io.BytesIO(b"x"), "a.jsonl")}
    response = http.post("/v1/files", data=form, headers=AUTH)
    assert response.status_code == 400
    assert response.get_json() == error_body("'purpose' is a required property")


def test_a_system_purpose_is_refused_with_the_real_list(http: Client, mock: MockFiles) -> None:
    response = upload(http, purpose="batch_output")
    assert response.status_code == 400
    assert response.get_json() == error_body(
        "'batch_output' is not one of ['fine-tune', 'assistants', 'batch', 'user_data', "
        "'vision', 'evals'] - 'purpose'",
        param="purpose",
    )
    assert mock.files() == []


@pytest.mark.parametrize(
    ("content_type", "given"),
    [
        ("application/json", "application/json"),
        ("text/plain; charset=utf-8", "text/plain"),
        ("Application/JSON", "application/json"),
        (None, ""),
    ],
)
def test_a_body_that_is_not_multipart_is_an_unsupported_content_type(
    http: Client, content_type: str | None, given: str
) -> None:
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = http.post("/v1/files", data=b'{"purpose": "batch"}', headers=headers)
    assert response.status_code == 400
    assert response.get_json() == error_body(
        f"Unsupported content type: '{given}'. This API method only accepts "
        "'multipart/form-data' requests, but you specified the header "
        f"'Content-Type: {given}'. Please try again with a supported content type.",
        code="unsupported_content_type",
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n', "closing"),
        (b"--b\r\nContent-Type: text/plain\r\n\r\nbatch\r\n--b--\r\n", "Content-Disposition"),
        (b"", "no part starts with the boundary"),
        (b"no boundary anywhere", "no part starts with the boundary"),
    ],
)
def test_a_malformed_multipart_body_is_a_clear_400(http: Client, body: bytes, reason: str) -> None:
    headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=b"}
    # An input stream, not data=: the test client would replace an empty body with a form.
    stream = io.BytesIO(body)
    response = http.post(
        "/v1/files", input_stream=stream, content_length=len(body), headers=headers
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"].startswith("Invalid multipart/form-data body: ")
    assert reason in error["message"]
    assert error["type"] == "invalid_request_error"


def test_the_last_of_repeated_fields_wins_and_an_empty_filename_is_no_file(
    http: Client,
) -> None:
    body = multipart(
        ("purpose", b"nope", None),
        ("file", b"first", "first.jsonl"),
        ("purpose", b"batch", None),
        ("file", b"second!", "second.jsonl"),
        ("unknown", b"ignored", None),
    )
    created = post_multipart(http, body).get_json()
    assert (created["purpose"], created["filename"], created["bytes"]) == (
        "batch",
        "second.jsonl",
        7,
    )
    empty_name = multipart(("purpose", b"batch", None), ("file", b"x", ""))
    assert post_multipart(http, empty_name).get_json() == error_body(
        "'file' is a required property"
    )


def test_the_multipart_media_type_is_case_insensitive(http: Client) -> None:
    body = multipart(("purpose", b"batch", None), ("file", b"x", "a.jsonl"))
    headers = {**AUTH, "Content-Type": "Multipart/Form-Data; boundary=b0und4ry"}
    assert http.post("/v1/files", data=body, headers=headers).status_code == 200


def test_a_multipart_type_without_boundary_is_a_clear_400(http: Client) -> None:
    headers = {**AUTH, "Content-Type": "multipart/form-data"}
    response = http.post("/v1/files", data=b"x", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        "Invalid multipart/form-data body: the Content-Type has no boundary."
    )


def test_content_is_the_exact_bytes_as_octet_stream(http: Client) -> None:
    data = bytes(range(256)) * 1000
    file_id = upload(http, data, purpose="vision", name="image.png").get_json()["id"]
    response = http.get(f"/v1/files/{file_id}/content", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == str(len(data))
    assert response.get_data() == data


def test_content_of_an_undownloadable_purpose_is_the_real_400(http: Client) -> None:
    file_id = upload(http, purpose="user_data", name="notes.txt").get_json()["id"]
    response = http.get(f"/v1/files/{file_id}/content", headers=AUTH)
    assert response.status_code == 400
    assert response.get_json() == error_body("Not allowed to download files of purpose: user_data")


def test_delete_answers_the_real_body_and_frees_the_bytes(http: Client, mock: MockFiles) -> None:
    file_id = upload(http).get_json()["id"]
    response = http.delete(f"/v1/files/{file_id}", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json() == {"object": "file", "deleted": True, "id": file_id}
    assert mock.files() == []


def test_list_answers_the_envelope_with_cursor_ids(http: Client) -> None:
    ids = [upload(http).get_json()["id"] for _ in range(3)]
    body = http.get("/v1/files?order=asc&limit=2", headers=AUTH).get_json()
    assert [f["id"] for f in body["data"]] == ids[:2]
    assert (body["object"], body["has_more"], body["first_id"], body["last_id"]) == (
        "list",
        True,
        ids[0],
        ids[1],
    )


@pytest.mark.parametrize(
    ("query", "message", "param"),
    [
        ("limit=abc", "'abc' is not of type 'integer' - 'limit'", "limit"),
        ("limit=1.5", "'1.5' is not of type 'integer' - 'limit'", "limit"),
        ("limit=1_0", "'1_0' is not of type 'integer' - 'limit'", "limit"),
        ("limit=0", "0 is less than the minimum of 1 - 'limit'", "limit"),
        ("limit=10001", "10001 is greater than the maximum of 10000 - 'limit'", "limit"),
        ("order=up", "'up' is not one of ['asc', 'desc'] - 'order'", "order"),
    ],
)
def test_bad_list_parameters_are_400s_naming_the_parameter(
    http: Client, query: str, message: str, param: str
) -> None:
    response = http.get(f"/v1/files?{query}", headers=AUTH)
    assert response.status_code == 400
    assert response.get_json() == error_body(message, param=param)


def test_a_bug_in_the_fake_is_a_json_500_and_is_recorded(
    http: Client, mock: MockFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the store is on fire")

    monkeypatch.setattr(mock.store, "retrieve", broken)
    response = http.get("/v1/files/file-x?x=1", headers=AUTH)
    assert response.status_code == 500
    assert response.get_json() == {
        "error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    [bug] = mock.bugs
    assert (bug.method, bug.path) == ("GET", "/v1/files/file-x?x=1")
    assert "the store is on fire" in bug.traceback
    with pytest.raises(AssertionError, match="mockfiles failed on GET /v1/files/file-x"):
        mock.check()
    assert mock.bugs == []


def test_a_lone_surrogate_in_a_json_body_is_echoed_escaped(http: Client, mock: MockFiles) -> None:
    upload = http.post(
        "/v1/uploads",
        json={"filename": "a.jsonl", "purpose": "batch", "bytes": 0, "mime_type": "x"},
        headers=AUTH,
    ).get_json()
    response = http.post(
        f"/v1/uploads/{upload['id']}/complete",
        data=b'{"part_ids": ["a\\ud800"]}',
        content_type="application/json",
        headers=AUTH,
    )
    assert response.status_code == 400
    assert b"\\ud800" in response.get_data()
    assert response.get_json()["error"]["param"] == "part_ids"
    assert mock.bugs == []


@pytest.mark.parametrize("path", ["/v1/files", "/v1/batches"])
def test_a_limit_of_thousands_of_digits_is_echoed_cut(path: str) -> None:
    mock = MockFiles()
    answer = Client(mock.app).get(
        f"{path}?limit={'9' * 5000}", headers={"Authorization": "Bearer sk-x"}
    )
    error = answer.get_json()["error"]
    assert answer.status_code == 400
    assert error["param"] == "limit"
    assert error["message"] == "'" + "9" * 96 + "... is not of type 'integer' - 'limit'"
