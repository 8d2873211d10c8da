from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.security.paths import (
    MAX_PATH_BYTES,
    PathRejected,
    RouteMatch,
    RouteTable,
    _parse_template,
    check_path,
    match_template,
)

REJECTED = [
    # (raw path, expected reason)
    ("/items/%2e%2e/admin/users", "dot segment"),
    ("/api/x/%2e%2e/admin", "dot segment"),
    ("/api/x/%2E%2e/admin", "dot segment"),
    ("/api/x/%2E%2E/admin", "dot segment"),
    ("/api/x/.%2e/admin", "dot segment"),
    ("/api/x/%2e./admin", "dot segment"),
    ("/api/x/../admin", "dot segment"),
    ("/api/x/..", "dot segment"),
    ("/api/x/%2e", "dot segment"),
    ("/api/x/./y", "dot segment"),
    ("/./api/x", "dot segment"),
    ("/api/x/..%2fadmin", "encoded slash"),
    ("/api/x/..%2Fadmin", "encoded slash"),
    ("/api/x%2fy", "encoded slash"),
    ("/api/x/%252e%252e/", "encoded percent sign (double encoding)"),
    ("/api/x/%252e%252e/admin", "encoded percent sign (double encoding)"),
    ("/api/x/%25", "encoded percent sign (double encoding)"),
    ("/api/x//y", "empty segment"),
    ("//api/x", "empty segment"),
    ("/api/x/", "empty segment"),
    ("/api/x;jsessionid=1", "semicolon (path parameter)"),
    ("/api/x/..;/admin", "semicolon (path parameter)"),
    ("/api/x%3bjsessionid=1", "encoded semicolon"),
    ("/api/x%3Bjsessionid=1", "encoded semicolon"),
    ("/api/x/%00", "encoded NUL"),
    ("/api/x/%0a", "encoded control character"),
    ("/api/x/%7F", "encoded control character"),
    ("/api/x/%C2%85", "encoded control character"),  # U+0085 NEL
    ("/api/x\\y", "backslash"),
    ("/api/x\\..\\admin", "backslash"),
    ("/api/x/%5cy", "encoded backslash"),
    ("/api/x/%5C..%5Cadmin", "encoded backslash"),
    ("/api/x/%zz", "invalid percent escape"),
    ("/api/x/%2", "invalid percent escape"),
    ("/api/x/%", "invalid percent escape"),
    ("/api/x/%C0%AE%C0%AE", "percent-encoded bytes are not UTF-8"),  # overlong '.'
    ("/api/x/%FF", "percent-encoded bytes are not UTF-8"),
    ("/api/x/%EF%BC%8E%EF%BC%8E", "segment folds to a dot segment or separator"),  # U+FF0E x2
    ("/api/x/%E2%80%A5", "segment folds to a dot segment or separator"),  # U+2025 '‥'
    ("/api/x/a%EF%BC%8Fb", "segment folds to a dot segment or separator"),  # U+FF0F '/'
    ("api/x", "path must start with '/'"),
    ("", "path must start with '/'"),
    ("*", "path must start with '/'"),
    ("http://evil/api/x", "path must start with '/'"),
    ("/api/x y", "character not allowed in a path"),
    ("/api/x?y", "character not allowed in a path"),
    ("/api/x#y", "character not allowed in a path"),
    ("/api/{x}", "character not allowed in a path"),
    ("/api/x\ty", "control character"),
    ("/api/王", "non-ASCII not percent-encoded"),
    (b"/api/\xe7\x8e\x8b", "non-ASCII not percent-encoded"),
    (b"/api/x\x00", "NUL byte"),
    ("/" + "a" * MAX_PATH_BYTES, "path too long"),
]


@pytest.mark.parametrize(("raw", "reason"), REJECTED, ids=[repr(r[0])[:60] for r in REJECTED])
def test_rejected_paths(raw: bytes | str, reason: str) -> None:
    with pytest.raises(PathRejected) as info:
        check_path(raw)
    assert info.value.reason == reason


ACCEPTED = [
    ("/", "/"),
    ("/api/training/records/42", "/api/training/records/42"),
    ("/api/speakers/lecturers/%E7%8E%8B", "/api/speakers/lecturers/%E7%8E%8B"),
    ("/api/speakers/lecturers/%e7%8e%8b", "/api/speakers/lecturers/%E7%8E%8B"),
    (b"/api/speakers/lecturers/%E7%8E%8B%E5%B0%8F%E6%98%8E", None),
    ("/api/x/a.b", None),
    ("/api/x/..a", None),
    ("/api/x/a..", None),
    ("/api/x/...", None),
    ("/api/x/a-b_c~d", None),
    ("/api/x/a:b@c", None),
    ("/api/x/%41dmin", "/api/x/Admin"),  # encoded unreserved has one spelling
    ("/api/x/file%2Etxt", "/api/x/file.txt"),
    ("/api/x/a%20b", "/api/x/a%20b"),
    ("/api/x/a%3fb", "/api/x/a%3Fb"),
    ("/" + "a" * (MAX_PATH_BYTES - 1), None),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED, ids=[repr(a[0])[:60] for a in ACCEPTED])
def test_accepted_paths(raw: bytes | str, expected: str | None) -> None:
    result = check_path(raw)
    want = expected if expected is not None else (raw.decode() if isinstance(raw, bytes) else raw)
    assert result == want
    assert check_path(result) == result


def test_reason_does_not_echo_the_path() -> None:
    with pytest.raises(PathRejected) as info:
        check_path("/api/people/A123456789/%2e%2e")
    assert "A123456789" not in str(info.value)


_PATHISH = st.text(alphabet="/.%2eEfF5cC3bB;\\aA0:~\x00\t é王", max_size=40)


def _assert_safe(result: str) -> None:
    assert result.startswith("/")
    assert result.isascii()
    assert "//" not in result
    assert ";" not in result and "\\" not in result
    if result != "/":
        for segment in result[1:].split("/"):
            assert segment
            assert unquote(segment) not in (".", "..")
    assert check_path(result) == result  # canonical: a fixed point


@given(_PATHISH)
def test_check_path_output_is_always_safe_text(raw: str) -> None:
    try:
        result = check_path(raw)
    except PathRejected:
        return
    _assert_safe(result)


@given(st.binary(max_size=60))
def test_check_path_output_is_always_safe_bytes(raw: bytes) -> None:
    try:
        result = check_path(b"/" + raw)
    except PathRejected:
        return
    _assert_safe(result)


@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=5))
def test_any_encoded_unicode_path_round_trips(segments: list[str]) -> None:
    from urllib.parse import quote

    assume(all(s not in (".", "..") for s in segments))
    raw = "/" + "/".join(quote(s, safe="") for s in segments)
    try:
        result = check_path(raw)
    except PathRejected:
        return
    assert [unquote(s) for s in result[1:].split("/")] == segments


TEMPLATE_CASES = [
    ("/api/training/records/{record_id}", "/api/training/records/42", {"record_id": "42"}),
    ("/api/training/records/{record_id}", "/api/training/records", None),
    ("/api/training/records/{record_id}", "/api/training/records/42/x", None),
    ("/api/training/records/{record_id}", "/api/training/records/", None),
    ("/api/training/records/{record_id}", "/api/training/other/42", None),
    ("/a/{x}/b/{y}", "/a/1/b/2", {"x": "1", "y": "2"}),
    ("/files/{rest:path}", "/files/a/b/c", {"rest": "a/b/c"}),
    ("/files/{rest:path}", "/files/a", {"rest": "a"}),
    ("/files/{rest:path}", "/files", None),
    ("/files/{rest:path}", "/files/", None),
    ("/files/{rest:path}", "/files/a//b", None),
    ("/", "/", {}),
    ("/", "/a", None),
    ("/a", "/", None),
    ("/a", "a", None),
    ("/lecturers/{name}", "/lecturers/%E7%8E%8B", {"name": "%E7%8E%8B"}),
]


@pytest.mark.parametrize(("template", "path", "expected"), TEMPLATE_CASES)
def test_match_template(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert match_template(path, template) == expected


@pytest.mark.parametrize(
    "template",
    [
        "api/x",
        "/a/{rest:path}/b",
        "/a/{x}/{x}",
        "/a/{x:int}",
        "/a/{}",
        "/a/b{x}",
        "/a/",
        "/a//b",
        "/a/%2e%2e",
        "/a/%e7%8e%8b",
        "/a;b",
    ],
)
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match="template"):
        match_template("/a/b", template)


ROUTES = {
    ("GET", "/api/training/records/{record_id}"): "training.records.read",
    ("GET", "/api/training/records/export"): "training.records.export",
    ("POST", "/api/training/records"): "training.records.write",
    ("GET", "/api/files/{rest:path}"): "files.read",
    ("GET", "/api/files/public/{name}"): "files.public",
    ("GET", "/"): "root",
}

LOOKUPS = [
    (
        "GET",
        "/api/training/records/42",
        ("/api/training/records/{record_id}", "training.records.read"),
    ),
    (
        "GET",
        "/api/training/records/export",
        ("/api/training/records/export", "training.records.export"),
    ),
    ("GET", "/api/files/public/a", ("/api/files/public/{name}", "files.public")),
    ("GET", "/api/files/public/a/b", ("/api/files/{rest:path}", "files.read")),
    ("GET", "/api/files/x", ("/api/files/{rest:path}", "files.read")),
    ("POST", "/api/training/records", ("/api/training/records", "training.records.write")),
    ("GET", "/", ("/", "root")),
    ("GET", "/api/training/records", None),  # only POST is listed
    ("HEAD", "/api/training/records/42", None),  # HEAD does not imply GET
    ("get", "/api/training/records/42", None),  # methods are case-sensitive
    ("DELETE", "/api/training/records/42", None),
    ("GET", "/api/training/records/42/extra", None),
    ("GET", "/api/unknown", None),
    ("GET", "/api/training/records/%2e%2e", None),  # not canonical: rejected
    ("GET", "/api/training/records/%65xport", None),  # not canonical: denied, not fixed up
    ("GET", "/api/training/records/", None),
    ("GET", "/api/files", None),
]


@pytest.mark.parametrize(("method", "path", "expected"), LOOKUPS)
def test_route_lookup(method: str, path: str, expected: tuple[str, str] | None) -> None:
    table = RouteTable(ROUTES)
    assert table.lookup(method, path) == expected


def test_lookup_returns_named_fields() -> None:
    match = RouteTable(ROUTES).lookup("GET", "/api/training/records/7")
    assert isinstance(match, RouteMatch)
    assert match.permission == "training.records.read"


def test_head_is_granted_only_when_listed() -> None:
    table = RouteTable({("GET", "/a"): "p", ("HEAD", "/a"): "p.head"})
    assert table.lookup("HEAD", "/a") == ("/a", "p.head")


def test_literal_wins_regardless_of_insertion_order() -> None:
    forward = RouteTable({("GET", "/r/{id}"): "param", ("GET", "/r/export"): "literal"})
    backward = RouteTable({("GET", "/r/export"): "literal", ("GET", "/r/{id}"): "param"})
    for table in (forward, backward):
        assert table.lookup("GET", "/r/export") == ("/r/export", "literal")
        assert table.lookup("GET", "/r/1") == ("/r/{id}", "param")


@pytest.mark.parametrize(
    "routes",
    [
        {("GET", "/a/{x}"): "p", ("GET", "/a/{y}"): "q"},  # same shape
        {("GET", "/a/{x}/c"): "p", ("GET", "/{y}/b/c"): "q"},  # crossed
        {("GET", "/a/{rest:path}"): "p", ("GET", "/{y}/b"): "q"},  # crossed with catch-all
        {("get", "/a"): "p"},
        {("GET", "/a"): ""},
        {("GET", "/a/"): "p"},
    ],
)
def test_ambiguous_or_bad_tables_are_refused(routes: dict[tuple[str, str], str]) -> None:
    with pytest.raises(ValueError):
        RouteTable(routes)


def test_disjoint_templates_coexist() -> None:
    table = RouteTable({("GET", "/a/{x}"): "p", ("GET", "/b/{x}"): "q", ("PUT", "/a/{y}"): "r"})
    assert table.lookup("GET", "/b/1") == ("/b/{x}", "q")
    assert table.lookup("PUT", "/a/1") == ("/a/{y}", "r")


_SEGMENT_CHOICES = ["a", "b", "{p}", "{q}", "{r:path}"]
_TEMPLATES = st.lists(st.sampled_from(_SEGMENT_CHOICES), min_size=0, max_size=3).map(
    lambda segs: "/" + "/".join(segs)
)
_PATHS = st.lists(st.sampled_from(["a", "b", "c", "%2e%2e", "", "."]), max_size=4).map(
    lambda segs: "/" + "/".join(segs)
)


def _fix_names(template: str) -> str:
    # Distinct parameter names per template, so the template itself is valid.
    parts = template.split("/")
    return "/".join(f"{{p{i}}}" if part.startswith("{") else part for i, part in enumerate(parts))


@given(
    st.lists(
        st.tuples(st.sampled_from(["GET", "POST"]), _TEMPLATES.map(_fix_names)),
        max_size=5,
        unique=True,
    ),
    st.sampled_from(["GET", "POST", "HEAD"]),
    _PATHS,
)
def test_lookup_never_grants_an_unmatched_path(
    entries: list[tuple[str, str]], method: str, path: str
) -> None:
    routes = {entry: f"perm{i}" for i, entry in enumerate(entries)}
    try:
        table = RouteTable(routes)
    except ValueError:
        assume(False)
        return
    result = table.lookup(method, path)
    matching = [t for (m, t) in routes if m == method and match_template(path, t) is not None]
    if result is None:
        # Default deny only when nothing matches (or the path is not canonical).
        try:
            canonical = check_path(path) == path
        except PathRejected:
            canonical = False
        assert not matching or not canonical
    else:
        assert result.template in matching
        # The most specific match wins, whichever bucket the table looked in.
        assert result.template == min(matching, key=lambda t: _parse_template(t).kinds)
        assert routes[(method, result.template)] == result.permission
        assert check_path(path) == path
