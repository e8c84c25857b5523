"""API keys, projects and their isolation, through the SDK; and the same settings from the
control plane and the command line."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from helpers import control, serve_cli

from mockfiles import MockFiles
from mockfiles.keys import mask

KEYS = {
    "sk-proj-alpha-0123456789abcdef": {
        "project": ["proj_alpha", "proj_shared"],
        "organization": "org-one",
    },
    "sk-proj-beta-0123456789abcdef": {"project": "proj_beta", "organization": "org-one"},
}
ALPHA, BETA = list(KEYS)


def invalid_key_message(key: str) -> str:
    return (
        f"Incorrect API key provided: {key}. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    )


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("kk", "kk"),
        ("fake_key", "fake_key"),
        ("123456789012", "123456789012"),
        ("not-a-real-key-but-should-be-sanitized", "not-a-re**************************ized"),
        ("sk-" + "a" * 48, "sk-aaaaa" + "*" * 39 + "aaaa"),
    ],
)
def test_keys_are_masked_as_the_real_api_masks_them(key: str, masked: str) -> None:
    assert mask(key) == masked


@pytest.fixture(params=["socket", "in-process"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.mockfiles(keys=KEYS)
def test_once_keys_are_registered_unknown_keys_get_the_real_401(
    mockfiles: MockFiles, transport: str
) -> None:
    stranger = mockfiles.client(
        api_key="sk-unknown-0000000000000000abcd",
        in_process=transport == "in-process",
        max_retries=0,
    )
    with pytest.raises(openai.AuthenticationError) as raised:
        stranger.files.list()
    assert raised.value.body == {
        "message": invalid_key_message("sk-unkno*******************abcd"),
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
    assert "openai-organization" not in raised.value.response.headers
    assert mockfiles.client(in_process=transport == "in-process").files.list().data == []


@pytest.mark.mockfiles(keys=KEYS)
def test_a_key_acts_in_its_first_project_and_the_header_selects_another(
    mockfiles: MockFiles, transport: str
) -> None:
    in_process = transport == "in-process"
    default = mockfiles.client(api_key=ALPHA, in_process=in_process)
    raw = default.files.with_raw_response.create(file=b"x", purpose="vision")
    assert (raw.headers["openai-project"], raw.headers["openai-organization"]) == (
        "proj_alpha",
        "org-one",
    )
    shared = mockfiles.client(api_key=ALPHA, project="proj_shared", in_process=in_process)
    raw = shared.files.with_raw_response.create(file=b"y", purpose="vision")
    assert raw.headers["openai-project"] == "proj_shared"
    assert [f.bytes for f in mockfiles.files("proj_alpha")] == [1]
    assert [f.bytes for f in mockfiles.files("proj_shared")] == [1]


@pytest.mark.mockfiles(keys=KEYS)
def test_a_header_naming_a_project_or_organization_of_another_key_is_refused(
    mockfiles: MockFiles,
) -> None:
    wrong_project = mockfiles.client(api_key=BETA, project="proj_alpha", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        wrong_project.files.list()
    assert raised.value.code == "mismatched_project"
    wrong_org = mockfiles.client(api_key=BETA, organization="org-two", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        wrong_org.files.list()
    assert raised.value.code == "mismatched_organization"


@pytest.mark.mockfiles(keys=KEYS)
def test_projects_are_isolated_both_ways_for_every_operation(
    mockfiles: MockFiles, transport: str
) -> None:
    in_process = transport == "in-process"
    alpha = mockfiles.client(api_key=ALPHA, in_process=in_process, max_retries=0)
    beta = mockfiles.client(api_key=BETA, in_process=in_process, max_retries=0)
    for owner, other in ((alpha, beta), (beta, alpha)):
        file_id = owner.files.create(file=b"{}\n", purpose="batch").id
        assert file_id not in [f.id for f in other.files.list()]
        for operation in (other.files.retrieve, other.files.content, other.files.delete):
            with pytest.raises(openai.NotFoundError) as raised:
                operation(file_id)
            assert raised.value.body["message"] == f"No such File object: {file_id}"  # type: ignore[index]
        assert owner.files.retrieve(file_id).id == file_id
        assert owner.files.content(file_id).content == b"{}\n"
        assert file_id in [f.id for f in owner.files.list()]


def test_keys_added_later_apply_at_once(mockfiles: MockFiles) -> None:
    before = mockfiles.client(max_retries=0)
    before.files.list()  # any key works while none is registered
    mockfiles.add_key("sk-later-key-000000000000", project="proj_later")
    with pytest.raises(openai.AuthenticationError):
        before.files.list()
    later = mockfiles.client(api_key="sk-later-key-000000000000")
    raw = later.files.with_raw_response.list()
    assert raw.headers["openai-project"] == "proj_later"


# -- the same from the control plane and the command line --------------------------------------


@pytest.fixture
def served() -> Iterator[str]:
    with serve_cli("--key", f"{ALPHA}:proj_alpha:org-one", "--storage-bytes", "10") as (_, url):
        yield url


def test_serve_takes_keys_and_limits_and_the_control_plane_changes_them(served: str) -> None:
    assert control(served, "GET", "limits").body["storage_bytes"] == 10
    # Listed masked, as the real API masks keys in its 401.
    assert control(served, "GET", "keys").body["data"] == [
        {
            "key": "sk-proj-******************cdef",
            "projects": ["proj_alpha"],
            "organization": "org-one",
        }
    ]
    with openai.OpenAI(base_url=served, api_key=ALPHA, max_retries=0) as alpha:
        with pytest.raises(openai.BadRequestError):
            alpha.files.create(file=b"x" * 11, purpose="vision")
        assert control(served, "POST", "limits", {"storage_bytes": 11}).body["storage_bytes"] == 11
        alpha.files.create(file=b"x" * 11, purpose="vision")
        assert control(served, "GET", "usage?project=proj_alpha").body == {
            "project": "proj_alpha",
            "bytes": 11,
            "files": 1,
        }
    assert control(served, "POST", "keys", {"key": BETA, "project": "proj_beta"}).status == 200
    with openai.OpenAI(base_url=served, api_key=BETA, max_retries=0) as beta:
        assert beta.files.list().data == []
    with (
        openai.OpenAI(base_url=served, api_key="sk-nobody", max_retries=0) as nobody,
        pytest.raises(openai.AuthenticationError),
    ):
        nobody.files.list()
