"""The errors the fake answers with, one class per kind, in the real API's vocabulary.

Domain code raises these; the HTTP layer renders every one of them in one place as
``{"error": {"message", "type", "param", "code"}}`` (plus the ``detail`` sibling where the
real API sends it). Messages are the real API's text where it is known; where it is not,
the class docstring says the wording is ours.
"""

from __future__ import annotations

from typing import ClassVar

from mockfiles.model import UPLOADABLE_PURPOSES


class APIError(Exception):
    """Base of every error the fake answers with.

    ``status``, ``type``, ``code`` and ``param`` are class attributes so the vocabulary is
    readable in one place; an instance may override ``param`` and ``code``.
    """

    status: int = 400
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    #: Whether the real API adds ``"detail": {"message", "code"}`` beside ``"error"``. It
    #: does on the files endpoints' own errors since 2026-05; it does not on 401s or on the
    #: router's "Invalid URL" answer.
    with_detail: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if param is not None:
            self.param = param
        if code is not None:
            self.code = code
        #: Extra response headers this error asks for (``retry-after`` and the like).
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, object]:
        """The JSON body the real API sends for this error."""
        body: dict[str, object] = {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }
        if self.with_detail:
            body["detail"] = {"message": self.message, "code": self.code}
        return body


class InvalidRequest(APIError):
    """A 400 for a request the API cannot accept; ``param`` names the field at fault."""


class RequiredProperty(InvalidRequest):
    """A required form field is missing: the real text is ``'<name>' is a required property``
    with ``param`` null."""

    def __init__(self, name: str) -> None:
        super().__init__(f"'{name}' is a required property")


class InvalidPurpose(InvalidRequest):
    """A purpose that may not be uploaded. The message and the order of its list are the real
    API's, verbatim."""

    param = "purpose"

    def __init__(self, purpose: str) -> None:
        # The real text is a Python jsonschema message: both sides are Python reprs.
        super().__init__(f"{purpose!r} is not one of {list(UPLOADABLE_PURPOSES)!r} - 'purpose'")


class UnsupportedContentType(InvalidRequest):
    """A body of a content type the operation does not take. The real text is known for a
    multipart body sent to a JSON-only operation; the fake uses the same template the other way
    round."""

    code = "unsupported_content_type"

    def __init__(self, given: str, accepted: str) -> None:
        super().__init__(
            f"Unsupported content type: {given!r}. This API method only accepts {accepted!r} "
            f"requests, but you specified the header 'Content-Type: {given}'. Please try again "
            "with a supported content type."
        )


class MalformedBody(InvalidRequest):
    """A body that claims to be multipart but cannot be parsed. The wording is the fake's own:
    the real API's is unknown."""


class UnreadableBody(MalformedBody):
    """The body itself broke off (the client went away, or its chunked framing is invalid):
    nothing more can be read from the connection, so it is closed after the answer."""


class FileNotFound(APIError):
    """An id the caller's project has no file for (never existed, deleted, or expired)."""

    status = 404
    param = "id"

    def __init__(self, file_id: str) -> None:
        super().__init__(f"No such File object: {file_id}")


class DownloadNotAllowed(InvalidRequest):
    """``files.content`` on a purpose whose bytes the API does not hand back."""

    def __init__(self, purpose: str) -> None:
        super().__init__(f"Not allowed to download files of purpose: {purpose}")


class MissingAPIKey(APIError):
    """No bearer key at all (or an empty one). The real message, verbatim."""

    status = 401
    with_detail = False

    def __init__(self) -> None:
        super().__init__(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as "
            "the password field (with blank username) if you're accessing the API from your "
            "browser and are prompted for a username and password. You can obtain an API key "
            "from https://platform.openai.com/account/api-keys."
        )


class InvalidURL(APIError):
    """The router's answer to an unknown path or a method a path does not take: a 404 that
    echoes the method and the path as requested."""

    status = 404
    with_detail = False

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"Invalid URL ({method} {path})")


class InternalServerError(APIError):
    """A bug inside the fake. The text is the real API's generic 500 message."""

    status = 500
    type = "server_error"
    with_detail = False

    def __init__(self) -> None:
        super().__init__("The server had an error while processing your request. Sorry about that!")
