"""`{{ name }}` templates for HTTP requests. Where a placeholder stands decides which values may fill it
and how they are escaped: only DNS labels form a host, path values become one escaped segment, query and
header values are escaped or refused. Placement is checked when the catalog loads."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from analyzer.kinds import (
    REDACTED,
    ArgError,
    ArgValue,
    Param,
    ParamType,
    Placeholder,
    render_value,
    split_template,
    url_for_message,
    url_with_scheme,
)

_DNS_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Stand-ins for placeholders while the literal structure of a URL is parsed (private-use code points).
_MARK_BASE = 0xE000
_MARK_RE = re.compile("[\ue000-\uf8ff]")
_BASE_URL_RE = re.compile(r"^(https?)://([^/?#@\s\\]+)(/[^?#\s\\]*)?$")
_HOST_LITERAL_RE = re.compile(r"^[a-z0-9.\-\ue000-\uf8ff]+$")
_IPV6_LITERAL_RE = re.compile(r"^\[[0-9a-f:.]+\]$")
_PORT_RE = re.compile(r"^[0-9]{1,5}$")
_PATH_LITERAL_RE = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@%/\ue000-\uf8ff]*$")
_PERCENT_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_MAX_HOST_CHARS = 253
# Of a refused host, the start quoted.
_SHOWN_HOST_CHARS = 80
# Request headers that frame the body, which the client writes from the body it sends.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
# Request headers a proxy or an ingress in front of the allowed host may route by, or rebuild the URL from (the
# host, scheme, port or path it reaches): like Host, only DNS labels may fill them, never free text.
_ROUTING_HEADERS = frozenset(
    {
        "forwarded",
        "x-forwarded-host",
        "x-forwarded-server",
        "x-forwarded-proto",
        "x-forwarded-scheme",
        "x-forwarded-port",
        "x-forwarded-prefix",
        "x-forwarded-path",
        "x-forwarded-uri",
        "x-original-host",
        "x-original-url",
        "x-original-uri",
        "x-rewrite-url",
        "x-host",
        "x-http-host-override",
    }
)


def _slot_type(name: str, params: Mapping[str, Param]) -> ParamType | None:
    """The param type of a placeholder, or None for a value captured from an earlier response (free text)."""
    return params[name].type if name in params else None


def _host_safe(name: str, params: Mapping[str, Param]) -> bool:
    param = params.get(name)
    if param is None:
        return False
    if param.type is ParamType.DNS_LABEL:
        return True
    return param.type is ParamType.ENUM and all(_DNS_LABEL_RE.fullmatch(v) for v in param.values or [])


def _describe(name: str, params: Mapping[str, Param]) -> str:
    param_type = _slot_type(name, params)
    return f"{{{{ {name} }}}} ({param_type.value if param_type else 'captured value'})"


def _marked(parts: list[str | Placeholder]) -> tuple[str, list[str]]:
    """The template with each placeholder replaced by one marker character, and the names in order."""
    names: list[str] = []
    out = []
    for part in parts:
        if isinstance(part, Placeholder):
            out.append(chr(_MARK_BASE + len(names)))
            names.append(part.name)
        else:
            if _MARK_RE.search(part):
                raise ValueError("private-use characters (U+E000-U+F8FF) are not allowed in a URL template")
            out.append(part)
    return "".join(out), names


def _fill(skeleton: str, names: list[str], render: Any) -> str:
    return _MARK_RE.sub(lambda m: render(names[ord(m.group(0)) - _MARK_BASE]), skeleton)


def _start_of(skeleton: str, names: list[str], render: Callable[[str], str]) -> tuple[str, bool]:
    """`skeleton` filled by `render`, and whether it was cut: at most _SHOWN_HOST_CHARS, ending before the first value
    that does not fit, so that a value shows whole or not at all."""
    shown = ""
    for char in skeleton:
        # A value cut in part is missed by a search for the whole of it: a composite hides its secrets so.
        piece = render(names[ord(char) - _MARK_BASE]) if _MARK_RE.fullmatch(char) else char
        if len(shown) + len(piece) > _SHOWN_HOST_CHARS:
            return shown, True
        shown += piece
    return shown, False


def _check_path_literal(path: str, names: list[str], params: Mapping[str, Param]) -> None:
    if not _PATH_LITERAL_RE.fullmatch(path):
        bad = next(c for c in path if not _PATH_LITERAL_RE.fullmatch("/" + c))
        raise ValueError(
            # A query or fragment written into the path is shown redacted: it is where an api_key=... stands.
            f"the path {url_for_message(_fill(path, names, lambda n: '{{ ' + n + ' }}'))!r} contains {bad!r}; "
            "write it percent-encoded, and put query parameters in `query`"
        )
    if _PERCENT_RE.search(_MARK_RE.sub("", path)):
        raise ValueError("the path contains a % that does not start a %XX escape")
    for segment in path.split("/"):
        if segment in (".", ".."):
            raise ValueError(f"the path contains a {segment!r} segment; write the path it stands for")


def _render_path(path: str, names: list[str], values: Mapping[str, ArgValue]) -> str:
    # safe="": `/`, `?`, `#`, `%` and `@` in a value are escaped, so a value stays inside its segment.
    rendered = _fill(path, names, lambda n: quote(render_value(values[n]), safe=""))
    for segment in rendered.split("/"):
        if segment in (".", ".."):
            culprit = next((n for n in names if render_value(values[n]) in (".", "..")), names[0] if names else "")
            raise ArgError(
                f"arg {culprit!r} makes the path segment {segment!r}, which would climb out of the "
                "path; a value may not be '.' or '..'",
                culprit,
            )
    return rendered


@dataclass(frozen=True)
class BaseURL:
    """A rendered base URL: scheme, host (no brackets for IPv6), port and path prefix (no trailing /)."""

    scheme: str
    host: str
    port: int
    prefix: str

    def origin(self) -> str:
        """`scheme://host[:port]` as written in a URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")


class BaseURLTemplate:
    """`http(s)://host[:port][/prefix]`: placeholders form host labels (DNS labels only) or path segments."""

    def __init__(self, text: str, params: Mapping[str, Param]) -> None:
        """Parse and check `text`; ValueError names the placeholder or the part that breaks a rule."""
        self.text = text
        skeleton, self._names = _marked(split_template(text, params))
        match = _BASE_URL_RE.fullmatch(skeleton)
        if not match:
            mended, meant = url_with_scheme(skeleton), url_with_scheme(text)
            if mended is not None and meant is not None and _BASE_URL_RE.fullmatch(mended[0]):
                # `shop.svc:8080`, as a Service is often written, or `https//shop.svc`: only the scheme is amiss.
                also = " (or https://)" if mended[1] == "it has no scheme" else ""
                raise ValueError(
                    f"{url_for_message(text)!r} is not a base URL: {meant[1]}; write {url_for_message(meant[0])}{also}"
                )
            raise ValueError(
                f"{url_for_message(text)!r} is not a base URL like http://{{{{ service }}}}.shop.svc:8080/api; "
                "no user info (@), query (?) or fragment (#)"
            )
        self.scheme = match.group(1)
        authority, self._path = match.group(2), (match.group(3) or "").rstrip("/")
        if authority.startswith("["):
            bracket = authority.find("]") + 1
            self._host, port_text = authority[:bracket], authority[bracket:]
            if port_text and not port_text.startswith(":"):
                raise ValueError(f"unexpected {port_text!r} after the IPv6 address")
            port_text = port_text[1:]
        else:
            self._host, _, port_text = authority.partition(":")
        if _MARK_RE.search(port_text):
            raise ValueError("the port must be written out, not a placeholder")
        if port_text and (not _PORT_RE.fullmatch(port_text) or not 0 < int(port_text) < 65536):
            raise ValueError(f"port {port_text!r} is not a number from 1 to 65535")
        self.port = int(port_text) if port_text else (443 if self.scheme == "https" else 80)
        if not _IPV6_LITERAL_RE.fullmatch(self._host) and not _HOST_LITERAL_RE.fullmatch(self._host):
            raise ValueError(f"host {self._display(self._host)!r} may only hold lowercase letters, digits, '-' and '.'")
        self._host_names = [self._names[ord(mark) - _MARK_BASE] for mark in _MARK_RE.findall(self._host)]
        for name in self._host_names:
            if not _host_safe(name, params):
                raise ValueError(
                    f"{_describe(name, params)} stands in the host; only dns_label params (or enums "
                    "whose values are DNS labels) may form a host"
                )
        if self._path:
            _check_path_literal(self._path, self._names, params)
        self.literal_host = None if _MARK_RE.search(self._host) else self._host.strip("[]")
        # What every rendered host ends with: the labels after the last placeholder (".payments.svc").
        tail = _MARK_RE.split(self._host)[-1]
        self.host_suffix = "" if self.literal_host is not None or "." not in tail else tail[tail.index(".") :]
        self.param_names = frozenset(self._names)

    def _display(self, part: str) -> str:
        return _fill(part, self._names, lambda n: "{{ " + n + " }}")

    def render(self, values: Mapping[str, ArgValue], secret: frozenset[str] = frozenset()) -> BaseURL:
        """The base URL for these args; ArgError when they make an invalid host or a climbing path, quoting the host
        with the args of `secret` params as REDACTED."""
        host = _fill(self._host, self._names, lambda n: render_value(values[n])).strip("[]")
        if self.literal_host is None:
            labels = host.split(".")
            if len(host) > _MAX_HOST_CHARS or not all(_DNS_LABEL_RE.fullmatch(label) for label in labels):
                culprit = self._host_names[0]
                shown, cut = _start_of(
                    self._host, self._names, lambda n: REDACTED if n in secret else render_value(values[n])
                )
                said = f"a host of {len(host)} characters, starting {shown!r}" if cut else f"the host {shown!r}"
                raise ArgError(
                    f"args make {said}, which is not a valid DNS name (labels of 1-63 lowercase letters, digits and "
                    "'-', at most 253 characters)",
                    culprit,
                )
        return BaseURL(self.scheme, host, self.port, _render_path(self._path, self._names, values))

    def shown(self, values: Mapping[str, ArgValue], secret: frozenset[str], mark: str) -> str:
        """`origin + prefix` of args `render` accepted, those of `secret` params as `mark` (a path segment's text): the
        host is not judged again, where a mark longer than the value would make a label or the host too long."""
        host = _fill(self._host, self._names, lambda n: mark if n in secret else render_value(values[n]))
        origin = BaseURL(self.scheme, host.strip("[]"), self.port, "").origin()
        return origin + _render_path(self._path, self._names, {**values, **dict.fromkeys(secret, mark)})


class PathTemplate:
    """A request path starting with `/`; each placeholder becomes escaped text inside one segment."""

    def __init__(self, text: str, params: Mapping[str, Param], captures: frozenset[str] = frozenset()) -> None:
        """Parse and check `text`; ValueError names the rule it breaks."""
        self.text = text
        skeleton, self._names = _marked(split_template(text, params, captures))
        if not skeleton.startswith("/"):
            raise ValueError(f"path {url_for_message(text)!r} must start with /")
        _check_path_literal(skeleton, self._names, params)
        self._skeleton = skeleton
        self.param_names = frozenset(self._names)

    def render(self, values: Mapping[str, ArgValue]) -> str:
        """The escaped path; ArgError when a value would make a '.' or '..' segment."""
        return _render_path(self._skeleton, self._names, values)


class TextTemplate:
    """Free text with placeholders substituted as they are (query values and headers escape afterwards)."""

    def __init__(self, text: str, params: Mapping[str, Param], captures: frozenset[str] = frozenset()) -> None:
        """Parse `text`; ValueError for undeclared names or stray braces."""
        self.text = text
        self._parts = split_template(text, params, captures)
        self.param_names = frozenset(p.name for p in self._parts if isinstance(p, Placeholder))

    def render(self, values: Mapping[str, ArgValue]) -> str:
        """The text with every placeholder replaced by its value."""
        return "".join(render_value(values[p.name]) if isinstance(p, Placeholder) else p for p in self._parts)


class HeaderTemplate:
    """A header value; a rendered value with control characters (CR, LF, NUL...) is refused."""

    def __init__(
        self, name: str, text: str, params: Mapping[str, Param], captures: frozenset[str] = frozenset()
    ) -> None:
        """Check the header name and parse the value template."""
        if not _HEADER_NAME_RE.fullmatch(name):
            raise ValueError(f"{name!r} is not a valid header name")
        if name.lower() in _FRAMING_HEADERS:
            raise ValueError(
                f"header {name!r} is set by the client from the body; a check may not set it (a wrong one makes a "
                "request that the server and a proxy in front of it read differently)"
            )
        self.name = name
        self.text = text
        self._value = TextTemplate(text, params, captures)
        if name.lower() == "host" or name.lower() in _ROUTING_HEADERS:
            # A proxy or ingress in front of the allowed host routes by these headers: they choose what is reached.
            where = "the host" if name.lower() == "host" else "a header a proxy routes by (host, scheme, port or path)"
            for placeholder in sorted(self._value.param_names):
                if not _host_safe(placeholder, params):
                    raise ValueError(
                        f"header {name!r}: {_describe(placeholder, params)} stands in {where}; only dns_label "
                        "params (or enums whose values are DNS labels) may go there"
                    )
        if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in text):
            raise ValueError(f"header {name!r} contains a control character")
        if not text.isascii():
            raise ValueError(f"header {name!r} contains a non-ASCII character; HTTP header values are ASCII")
        self.param_names = self._value.param_names

    def render(self, values: Mapping[str, ArgValue]) -> str:
        """The header value; ArgError when a value brings a control character (header injection) or a
        non-ASCII one (HTTP header values are ASCII)."""
        rendered = self._value.render(values)
        if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in rendered):
            culprit = next(
                (
                    n
                    for n in sorted(self.param_names)
                    if any(ord(c) < 32 or ord(c) == 127 for c in render_value(values[n]))
                ),
                None,
            )
            raise ArgError(f"header {self.name!r}: arg {culprit!r} contains a control character", culprit)
        if not rendered.isascii():
            culprit = next((n for n in sorted(self.param_names) if not render_value(values[n]).isascii()), None)
            raise ArgError(
                f"header {self.name!r}: arg {culprit!r} contains a non-ASCII character; HTTP header values are ASCII",
                culprit,
            )
        return rendered


def render_query(pairs: Mapping[str, str]) -> str:
    """A query string with keys and values fully percent-escaped (so `&`, `=`, `#` stay data)."""
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs.items())


class JSONBodyTemplate:
    """A JSON body whose string leaves may hold placeholders; a leaf that is exactly one number
    placeholder becomes a JSON number. Values are encoded by the JSON encoder, never spliced as text."""

    def __init__(self, body: Any, params: Mapping[str, Param], captures: frozenset[str] = frozenset()) -> None:
        """Parse every string leaf (and key) of `body`."""
        self.body = body
        self._params = params
        names: set[str] = set()
        self._walk(body, lambda text: names.update(TextTemplate(text, params, captures).param_names))
        self.param_names = frozenset(names)
        self._captures = captures

    def _walk(self, node: Any, visit: Any) -> None:
        if isinstance(node, str):
            visit(node)
        elif isinstance(node, list):
            for item in node:
                self._walk(item, visit)
        elif isinstance(node, dict):
            for key, item in node.items():
                visit(str(key))
                self._walk(item, visit)

    def render(self, values: Mapping[str, ArgValue]) -> bytes:
        """The compact JSON encoding of the body with values substituted."""
        return json.dumps(self._render(self.body, values), separators=(",", ":")).encode()

    def _render(self, node: Any, values: Mapping[str, ArgValue]) -> Any:
        if isinstance(node, str):
            parts = split_template(node, self._params, self._captures)
            if len(parts) == 3 and parts[0] == parts[2] == "" and isinstance(parts[1], Placeholder):
                return values[parts[1].name]
            return "".join(render_value(values[p.name]) if isinstance(p, Placeholder) else p for p in parts)
        if isinstance(node, list):
            return [self._render(item, values) for item in node]
        if isinstance(node, dict):
            return {self._render(str(k), values): self._render(v, values) for k, v in node.items()}
        return node
