"""The routes, declared as a werkzeug ``Map`` and matched by a dict lookup built from it.

Binding a ``MapAdapter`` per request costs more than the rest of a retrieve, and these routes
are few and fixed, so ``Router`` compiles the map once into a dict of literal paths and a short
list of templates per segment count. The semantics are werkzeug's for these rules (the tests
compare both on many paths): slashes are literal (``/v1/files/`` matches nothing, no
redirects; only extra leading slashes are ignored, as werkzeug does, and the app refuses a
path sent with them before routing), a ``<name>`` is one non-empty segment, ``HEAD`` goes
where ``GET`` goes, and a path or method that matches no rule matches nothing.
"""

from __future__ import annotations

from werkzeug.routing import Map, Rule

#: Each endpoint is an operation name (see ``views.VIEWS``) or a control endpoint
#: (``control.*``, see ``control.CONTROL_VIEWS``).
URL_MAP = Map(
    [
        Rule("/v1/files", endpoint="files.create", methods=["POST"]),
        Rule("/v1/files", endpoint="files.list", methods=["GET"]),
        Rule("/v1/files/<file_id>", endpoint="files.retrieve", methods=["GET"]),
        Rule("/v1/files/<file_id>", endpoint="files.delete", methods=["DELETE"]),
        Rule("/v1/files/<file_id>/content", endpoint="files.content", methods=["GET"]),
        Rule("/v1/uploads", endpoint="uploads.create", methods=["POST"]),
        Rule("/v1/uploads/<upload_id>/parts", endpoint="uploads.parts.create", methods=["POST"]),
        Rule("/v1/uploads/<upload_id>/complete", endpoint="uploads.complete", methods=["POST"]),
        Rule("/v1/uploads/<upload_id>/cancel", endpoint="uploads.cancel", methods=["POST"]),
        Rule("/v1/batches", endpoint="batches.create", methods=["POST"]),
        Rule("/v1/batches", endpoint="batches.list", methods=["GET"]),
        Rule("/v1/batches/<batch_id>", endpoint="batches.retrieve", methods=["GET"]),
        Rule("/v1/batches/<batch_id>/cancel", endpoint="batches.cancel", methods=["POST"]),
        Rule("/_mockfiles/clock", endpoint="control.clock", methods=["GET"]),
        Rule("/_mockfiles/clock", endpoint="control.clock.move", methods=["POST"]),
        Rule("/_mockfiles/reset", endpoint="control.reset", methods=["POST"]),
        Rule("/_mockfiles/limits", endpoint="control.limits", methods=["GET"]),
        Rule("/_mockfiles/limits", endpoint="control.limits.change", methods=["POST"]),
        Rule("/_mockfiles/keys", endpoint="control.keys", methods=["GET"]),
        Rule("/_mockfiles/keys", endpoint="control.keys.add", methods=["POST"]),
        Rule("/_mockfiles/usage", endpoint="control.usage", methods=["GET"]),
        Rule("/_mockfiles/faults", endpoint="control.faults", methods=["GET"]),
        Rule("/_mockfiles/faults", endpoint="control.faults.add", methods=["POST"]),
        Rule("/_mockfiles/faults", endpoint="control.faults.clear", methods=["DELETE"]),
        Rule("/_mockfiles/state", endpoint="control.state", methods=["GET"]),
        Rule("/_mockfiles/files", endpoint="control.files.add", methods=["POST"]),
        Rule("/_mockfiles/batches/respond", endpoint="control.batches.respond", methods=["POST"]),
        Rule("/_mockfiles/batches/timing", endpoint="control.batches.timing", methods=["GET"]),
        Rule(
            "/_mockfiles/batches/timing", endpoint="control.batches.timing.change", methods=["POST"]
        ),
        Rule("/_mockfiles/journal", endpoint="control.journal", methods=["GET"]),
        Rule("/_mockfiles/journal", endpoint="control.journal.clear", methods=["DELETE"]),
        Rule("/_mockfiles/bugs", endpoint="control.bugs", methods=["GET"]),
        Rule("/_mockfiles/bugs", endpoint="control.bugs.clear", methods=["DELETE"]),
    ],
    merge_slashes=False,
)

#: The control plane's paths all start so.
CONTROL_PREFIX = "/_mockfiles/"

#: A rule's path as segments, ``None`` where a ``<name>`` takes one segment; with the names.
_Template = tuple[tuple[str | None, ...], tuple[str, ...], dict[str, str]]


class Router:
    """Matches ``(method, path)`` to ``(endpoint, args)`` for the rules of a werkzeug ``Map``
    whose rules are literal segments and plain ``<name>`` placeholders."""

    def __init__(self, url_map: Map) -> None:
        self._literal: dict[str, dict[str, str]] = {}
        self._templates: dict[int, list[_Template]] = {}
        for rule in url_map.iter_rules():
            methods = rule.methods or ()
            segments = rule.rule.split("/")
            if not any("<" in segment for segment in segments):
                by_method = self._literal.setdefault(rule.rule, {})
                for method in methods:
                    by_method[method] = str(rule.endpoint)
                continue
            if any("<" in s and not (s.startswith("<") and s.endswith(">")) for s in segments):
                raise ValueError(f"Router takes whole-segment placeholders only: {rule.rule}")
            pattern = tuple(None if s.startswith("<") else s for s in segments)
            names = tuple(s[1:-1] for s in segments if s.startswith("<"))
            templates = self._templates.setdefault(len(segments), [])
            for known in templates:
                if known[0] == pattern:
                    known[2].update(dict.fromkeys(methods, str(rule.endpoint)))
                    break
            else:
                templates.append((pattern, names, dict.fromkeys(methods, str(rule.endpoint))))

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The endpoint and its arguments, or ``None`` for a path or method no rule takes."""
        if path.startswith("//"):  # werkzeug ignores extra leading slashes
            path = "/" + path.lstrip("/")
        by_method = self._literal.get(path)
        if by_method is not None:
            endpoint = by_method.get(method)
            return None if endpoint is None else (endpoint, {})
        segments = path.split("/")
        for pattern, names, endpoints in self._templates.get(len(segments), ()):
            values = []
            for wanted, segment in zip(pattern, segments, strict=True):
                if wanted is None:
                    if not segment:
                        break
                    values.append(segment)
                elif wanted != segment:
                    break
            else:
                endpoint = endpoints.get(method)
                if endpoint is not None:
                    return endpoint, dict(zip(names, values, strict=True))
        return None


ROUTER = Router(URL_MAP)
