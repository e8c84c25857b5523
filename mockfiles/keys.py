"""API keys, the projects they act in and the organization they belong to.

Until a key is registered the fake accepts any non-empty key (acting in the project the request
names, or the fake's default). Once one is, only registered keys are accepted: others get the
real 401 ``invalid_api_key``, with the key masked as the real API masks it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from mockfiles.errors import APIError, InvalidRequest


class InvalidAPIKey(APIError):
    """The real 401 for a key the API does not know."""

    status = 401
    code = "invalid_api_key"
    with_detail = False

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Incorrect API key provided: {mask(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        )


class MismatchedHeader(APIError):
    """A request whose ``OpenAI-Project`` or ``OpenAI-Organization`` header names one its key
    does not belong to. Not in the recorded facts: the text and code follow what the real API
    is reported to answer."""

    status = 401
    with_detail = False

    def __init__(self, header: str, what: str) -> None:
        super().__init__(
            f"{header} header should match {what} for API key", code=f"mismatched_{what}"
        )


def header_safe(value: object, name: str) -> str:
    """``value`` if it can travel in an HTTP header (the answers echo organizations and
    projects): non-empty printable ASCII text."""
    if not isinstance(value, str) or not value or not value.isascii() or not value.isprintable():
        raise InvalidRequest(
            f"{name} must be non-empty printable ASCII text, not {value!r}.", param=name
        )
    return value


def mask(key: str) -> str:
    """The real API's masking: the first 8 and last 4 characters, stars between. Keys of up to
    12 characters are shown whole (real keys of 8 or fewer are; the threshold between 8 and 12
    is unknown, and below 13 there is nothing left to hide)."""
    if len(key) <= 12:
        return key
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


@dataclass(frozen=True)
class KeyGrant:
    """What one registered key may do: act in these projects, for this organization."""

    projects: tuple[str, ...]
    organization: str


class KeyRing:
    """The registered keys; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, KeyGrant] = {}

    def add(self, key: str, projects: str | Sequence[str], organization: str) -> None:
        """Register ``key`` for ``projects`` (added to those it already has; the first one is
        where it acts when a request names none)."""
        header_safe(key, "key")
        header_safe(organization, "organization")
        wanted = (projects,) if isinstance(projects, str) else tuple(projects)
        if not wanted:
            raise InvalidRequest("An API key needs at least one project.", param="project")
        for project in wanted:
            header_safe(project, "project")
        with self._lock:
            known = self._grants.get(key)
            merged = known.projects if known else ()
            merged += tuple(p for p in wanted if p not in merged)
            self._grants[key] = KeyGrant(projects=merged, organization=organization)

    def grants(self) -> dict[str, KeyGrant]:
        with self._lock:
            return dict(self._grants)

    def resolve(
        self, key: str, project: str | None, organization: str | None
    ) -> tuple[str, str] | None:
        """The (organization, project) a request with ``key`` acts for, or ``None`` while no key
        is registered. Raises the real 401s for an unknown key or a header it may not use."""
        with self._lock:
            if not self._grants:
                return None
            grant = self._grants.get(key)
        if grant is None:
            raise InvalidAPIKey(key)
        if organization and organization != grant.organization:
            raise MismatchedHeader("OpenAI-Organization", "organization")
        if project and project not in grant.projects:
            raise MismatchedHeader("OpenAI-Project", "project")
        return grant.organization, project or grant.projects[0]
