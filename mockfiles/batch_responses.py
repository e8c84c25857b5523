"""What each request of a batch answers: the test's responders, and a default body per endpoint.

A responder is ``fn(request_line) -> answer``: ``request_line`` is the input line as a dict
(``custom_id``, ``method``, ``url``, ``body``); the answer is a dict (the body of a 200) or a
``RequestError`` (the request reached the model and got an HTTP error: its line goes to the
error file). The default bodies are deterministic and valid for the official SDK's types of that
endpoint (a chat completion echoing the model, and so on); their texts, ids and numbers are
the fake's own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestError:
    """A request of a batch that failed: its line goes to the error file as
    ``{"response": {"status_code", "request_id", "body": {"error": {...}}}, "error": null}``,
    the real format for requests that reached the model and got an HTTP error."""

    message: str = "The request failed."
    status_code: int = 400
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


#: What a responder returns: a 200's body, or an error.
Answer = Mapping[str, Any] | RequestError
Responder = Callable[[Mapping[str, Any]], Answer]


def default_answer(line: Mapping[str, Any], created: int) -> dict[str, Any]:
    """A deterministic, schema-valid body of the line's endpoint, made at ``created``."""
    url = str(line.get("url", ""))
    body = line.get("body")
    request = body if isinstance(body, Mapping) else {}
    make = _BODIES.get(url, _chat_completion)
    return make(str(line.get("custom_id", "")), request, created)


def failing_answer(line: Mapping[str, Any]) -> RequestError:
    """The answer of ``mockfiles serve --batch-responder fail``: every request fails."""
    return RequestError(
        message=f"Request {line.get('custom_id')!s} failed (mockfiles: every request fails).",
        code="mockfiles_failure",
    )


#: Named default responders, for the CLI and the control plane.
NAMED_RESPONDERS: Mapping[str, Responder | None] = {"default": None, "fail": failing_answer}


def _token(custom_id: str, length: int) -> str:
    return hashlib.sha256(_bytes_of(custom_id)).hexdigest()[:length]


def _bytes_of(custom_id: str) -> bytes:
    """A custom_id's bytes to hash. ``surrogatepass``: a JSON line may hold a lone surrogate
    escape (``"\\ud800"``), legal JSON but not UTF-8, and it must seed an answer, not fail."""
    return custom_id.encode("utf-8", "surrogatepass")


def _words(value: object) -> int:
    """A stand-in token count: the words in every string inside ``value`` (parsed JSON, so
    concrete types: an ABC check per value would cost more than the rest of a batch)."""
    if type(value) is str:
        return len(value.split())
    if type(value) is dict:
        return sum(map(_words, value.values()))
    if type(value) is list:
        return sum(map(_words, value))
    return 0


def _model(request: Mapping[str, Any], fallback: str) -> str:
    model = request.get("model")
    return model if isinstance(model, str) and model else fallback


def _reply(custom_id: str) -> str:
    return f"Mock answer to {custom_id}."


def _chat_completion(custom_id: str, request: Mapping[str, Any], created: int) -> dict[str, Any]:
    text = _reply(custom_id)
    prompt, completion = _words(request.get("messages")), _words(text)
    return {
        "id": f"chatcmpl-{_token(custom_id, 29)}",
        "object": "chat.completion",
        "created": created,
        "model": _model(request, "gpt-4o-mini"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
        "system_fingerprint": None,
    }


def _completion(custom_id: str, request: Mapping[str, Any], created: int) -> dict[str, Any]:
    text = _reply(custom_id)
    prompt, completion = _words(request.get("prompt")), _words(text)
    return {
        "id": f"cmpl-{_token(custom_id, 29)}",
        "object": "text_completion",
        "created": created,
        "model": _model(request, "gpt-3.5-turbo-instruct"),
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _embeddings(custom_id: str, request: Mapping[str, Any], created: int) -> dict[str, Any]:
    inputs = request.get("input")
    count = len(inputs) if isinstance(inputs, list) and inputs else 1
    dimensions = request.get("dimensions")
    size = dimensions if isinstance(dimensions, int) and 0 < dimensions <= 4096 else 8
    seed = hashlib.sha256(_bytes_of(custom_id)).digest()
    vector = [round((seed[i % 32] - 128) / 128, 6) for i in range(size)]
    tokens = _words(inputs)
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": vector} for i in range(count)],
        "model": _model(request, "text-embedding-3-small"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _response(custom_id: str, request: Mapping[str, Any], created: int) -> dict[str, Any]:
    text = _reply(custom_id)
    prompt, completion = _words(request.get("input")), _words(text)
    return {
        "id": f"resp_{_token(custom_id, 48)}",
        "object": "response",
        "created_at": created,
        "status": "completed",
        "model": _model(request, "gpt-4o-mini"),
        "output": [
            {
                "type": "message",
                "id": f"msg_{_token('msg' + custom_id, 48)}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": prompt,
            # cache_write_tokens: required by openai 3.x's type, an extra for 2.x's.
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        },
    }


_MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


def _moderation(custom_id: str, request: Mapping[str, Any], created: int) -> dict[str, Any]:
    inputs = request.get("input")
    count = len(inputs) if isinstance(inputs, list) and inputs else 1
    result = {
        "flagged": False,
        "categories": dict.fromkeys(_MODERATION_CATEGORIES, False),
        "category_scores": dict.fromkeys(_MODERATION_CATEGORIES, 0.0001),
        "category_applied_input_types": {name: ["text"] for name in _MODERATION_CATEGORIES},
    }
    return {
        "id": f"modr-{_token(custom_id, 29)}",
        "model": _model(request, "omni-moderation-latest"),
        "results": [result] * count,
    }


# A 1x1 transparent PNG: the smallest real image.
_PIXEL_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _images(custom_id: str, request: Mapping[str, Any], created: int) -> dict[str, Any]:
    count = request.get("n")
    count = count if isinstance(count, int) and 0 < count <= 10 else 1
    return {"created": created, "data": [{"b64_json": _PIXEL_PNG}] * count}


def _video(custom_id: str, request: Mapping[str, Any], created: int) -> dict[str, Any]:
    return {
        "id": f"video_{_token(custom_id, 32)}",
        "object": "video",
        "created_at": created,
        "completed_at": created,
        "expires_at": created + 86_400,
        "model": _model(request, "sora-2"),
        "progress": 100,
        "prompt": request.get("prompt") if isinstance(request.get("prompt"), str) else "",
        "remixed_from_video_id": None,
        "seconds": "4",
        "size": "720x1280",
        "status": "completed",
        "error": None,
    }


_BODIES: Mapping[str, Callable[[str, Mapping[str, Any], int], dict[str, Any]]] = {
    "/v1/chat/completions": _chat_completion,
    "/v1/completions": _completion,
    "/v1/embeddings": _embeddings,
    "/v1/responses": _response,
    "/v1/moderations": _moderation,
    "/v1/images/generations": _images,
    "/v1/images/edits": _images,
    "/v1/videos": _video,
}
