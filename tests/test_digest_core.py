"""The digest core on both twins: RFC examples, known hash answers, hypothesis against hashlib."""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Optional, Union

import pytest
from digest_reference import HASHLIB, reference, reference_ha1
from hypothesis import given, settings
from hypothesis import strategies as st

from sipfast.errors import DigestError

ALGORITHMS = ("MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess")



def c_twin() -> ModuleType:
    return pytest.importorskip("sipfast._digest_c", reason="the C twin is not built")


@contextlib.contextmanager
def sha256_path(digest: ModuleType, portable: bool) -> Iterator[None]:
    """Run the C twin's SHA-256 on its portable blocks; the Python twin has one path, which both
    cases run."""
    if not hasattr(digest, "_force_portable"):
        yield
        return
    digest._force_portable(portable)
    try:
        yield
    finally:
        digest._force_portable(False)


PATHS = pytest.mark.parametrize("portable", [False, True], ids=["native", "portable"])


# ---- RFC examples ----


def test_rfc2617_example(digest: ModuleType) -> None:
    # RFC 2617 §3.5
    response = digest.digest_response(
        "MD5",
        username="Mufasa",
        realm="testrealm@host.com",
        password="Circle Of Life",
        method="GET",
        uri="/dir/index.html",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        qop="auth",
        nc="00000001",
        cnonce="0a4f113b",
    )
    assert response == "6629fae49393a05397450978507c4ef1"


RFC7616_MUFASA: dict[str, Any] = {
    "username": "Mufasa",
    "realm": "http-auth@example.org",
    "password": "Circle of Life",
    "method": "GET",
    "uri": "/dir/index.html",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    "nc": "00000001",
    "qop": "auth",
}


@PATHS
@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_example(digest: ModuleType, portable: bool, algorithm: str, expected: str) -> None:
    # RFC 7616 §3.9.1
    with sha256_path(digest, portable):
        assert digest.digest_response(algorithm, **RFC7616_MUFASA) == expected
        assert digest.digest_response(algorithm, **dict(RFC7616_MUFASA, nc=1)) == expected


RFC7616_JASON: dict[str, Any] = {
    "username": "J\u00e4s\u00f8n Doe",
    "realm": "api@example.org",
    "password": "Secret, or not?",
    "method": "GET",
    "uri": "/doe.json",
    "nonce": "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
    "cnonce": "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
    "nc": "00000001",
    "qop": "auth",
}


def test_rfc7616_sha512_256_is_fips_not_the_erratum(digest: ModuleType) -> None:
    # RFC 7616 §3.9.2 published a response computed with SHA-512 cut to 256 bits; SHA-512/256 has
    # its own initial hash values (FIPS 180-4 §5.3.6.2), so the right answer differs.
    fips = reference("SHA-512-256", **RFC7616_JASON)
    erratum = reference("SHA-512-256", **RFC7616_JASON, hash_hex=lambda data: hashlib.sha512(data).hexdigest()[:64])
    assert erratum == "ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd"
    response = digest.digest_response("SHA-512-256", **RFC7616_JASON)
    assert response == fips
    assert response != erratum


# ---- the hashes alone ----

NIST_448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
NIST_896 = (
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
)


@PATHS
@pytest.mark.parametrize(
    ("algorithm", "message", "expected"),
    [
        # RFC 1321 §A.5
        ("MD5", "", "d41d8cd98f00b204e9800998ecf8427e"),
        ("MD5", "abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("MD5", "message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("MD5", "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("MD5", "1234567890" * 8, "57edf4a22be3c955ac49da2e2107b67a"),
        # FIPS 180 examples (NIST CSRC)
        ("SHA-256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("SHA-256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("SHA-256", NIST_448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("SHA-256", NIST_896, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ("SHA-512-256", "", "c672b8d1ef56ed28ab87c3622c5114069bdd3ad7b8f9737498d0c01ecef0967a"),
        ("SHA-512-256", "abc", "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"),
        (
            "SHA-512-256",
            NIST_448,
            "bde8e1f9f19bb9fd3406c90ec6bc47bd36d8ada9f11880dbc8a22a7078b6a461",
        ),
        (
            "SHA-512-256",
            NIST_896,
            "3928e184fb8690f840da3988121d31be65cb9d3ef83ee6146feac861e19b563a",
        ),
    ],
)
def test_known_answers(digest: ModuleType, portable: bool, algorithm: str, message: str, expected: str) -> None:
    with sha256_path(digest, portable):
        assert digest.hash_hex(algorithm, message) == expected
        assert digest.hash_hex(algorithm, message.encode()) == expected
        assert digest.hash_hex(algorithm + "-sess", message) == expected


@PATHS
@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "7707d6ae4e027c70eea2a935c2296f21"),
        ("SHA-256", "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        ("SHA-512-256", "9a59a052930187a97038cae692f30708aa6491923ef5194394dc68d56c74fb21"),
    ],
)
def test_one_million_a(digest: ModuleType, portable: bool, algorithm: str, expected: str) -> None:
    with sha256_path(digest, portable):
        assert digest.hash_hex(algorithm, b"a" * 1_000_000) == expected


@PATHS
@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "SHA-512-256"])
def test_every_length_to_300(digest: ModuleType, portable: bool, algorithm: str) -> None:
    # Every padding case: the tail fits with the length, needs a second block, or is empty
    # (55/56/64 for MD5 and SHA-256, 111/112/128 for SHA-512/256).
    rng = random.Random(algorithm)
    with sha256_path(digest, portable):
        for n in range(301):
            data = rng.randbytes(n)
            assert digest.hash_hex(algorithm, data) == HASHLIB[algorithm](data), n


@PATHS
@given(data=st.binary(max_size=300), algorithm=st.sampled_from(ALGORITHMS))
def test_hash_matches_hashlib(digest: ModuleType, portable: bool, data: bytes, algorithm: str) -> None:
    with sha256_path(digest, portable):
        base = algorithm.removesuffix("-sess")
        assert digest.hash_hex(algorithm, data) == HASHLIB[base](data)
        assert digest.hash_hex(algorithm, bytearray(data)) == HASHLIB[base](data)
        assert digest.hash_hex(algorithm, memoryview(data)) == HASHLIB[base](data)


@given(text=st.text(max_size=100))
def test_hash_of_str_is_its_utf8(digest: ModuleType, text: str) -> None:
    assert digest.hash_hex("SHA-256", text) == HASHLIB["SHA-256"](text.encode("utf-8"))


def test_detects_sha_extensions() -> None:
    c = c_twin()
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo to compare with")
    has_sha = " sha_ni" in cpuinfo.read_text()
    assert c._force_portable(True) is False
    assert c._force_portable(False) is has_sha


# ---- algorithm names ----


def test_algorithm_names(digest: ModuleType) -> None:
    assert digest.ALGORITHMS == ALGORITHMS
    for name in ALGORITHMS:
        assert digest.canonical_algorithm(name) == name
        assert digest.canonical_algorithm(name.lower()) == name
        assert digest.canonical_algorithm(name.swapcase()) == name
    assert digest.canonical_algorithm(None) == "MD5"
    assert digest.canonical_algorithm("") == "MD5"


@pytest.mark.parametrize(
    "name",
    ["AKAv1-MD5", "SHA-512", "SHA256", "md5 ", " md5", "MD5\x00", "MD\u0405", "SHA-512-256-SESS!"],
)
def test_unknown_algorithm(digest: ModuleType, name: str) -> None:
    with pytest.raises(DigestError, match="unknown digest algorithm"):
        digest.canonical_algorithm(name)
    with pytest.raises(DigestError):
        digest.hash_hex(name, b"")
    with pytest.raises(DigestError):
        digest.digest_ha1(name, "u", "r", "p")
    with pytest.raises(DigestError):
        digest.digest_response(name, "u", "r", "p", nonce="n")


def test_algorithm_must_be_str(digest: ModuleType) -> None:
    with pytest.raises(TypeError):
        digest.canonical_algorithm(b"MD5")
    with pytest.raises(TypeError):
        digest.digest_response(5, password="p")


# ---- digest_response against an independent formula ----

# Mostly non-ASCII text, with ":" and NUL in play; no surrogates (those cannot be UTF-8).
TEXT = st.text(max_size=40)
NC = st.one_of(st.integers(0, 0xFFFFFFFF), st.text(alphabet="0123456789abcdefABCDEF", max_size=10))
QOP = st.sampled_from([None, "auth", "auth-int"])


def random_case(name: str, flips: int) -> str:
    return "".join(c.swapcase() if flips >> i & 1 else c for i, c in enumerate(name))


@PATHS
@settings(max_examples=300)
@given(
    algorithm=st.sampled_from(ALGORITHMS),
    flips=st.integers(0, 0xFFFF),
    username=TEXT,
    realm=TEXT,
    password=TEXT,
    method=st.one_of(st.sampled_from(["REGISTER", "INVITE", "BYE", "OPTIONS"]), TEXT),
    uri=TEXT,
    nonce=TEXT,
    qop=QOP,
    nc=NC,
    cnonce=TEXT,
    body=st.binary(max_size=300),
)
def test_response_matches_reference(
    digest: ModuleType,
    portable: bool,
    algorithm: str,
    flips: int,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: Optional[str],
    nc: Union[int, str],
    cnonce: str,
    body: bytes,
) -> None:
    nc_text = f"{nc:08x}" if isinstance(nc, int) else nc
    expected = reference(algorithm, username, realm, password, method, uri, nonce, qop, nc_text, cnonce, body)
    name = random_case(algorithm, flips)
    with sha256_path(digest, portable):
        got = digest.digest_response(
            name,
            username,
            realm,
            password,
            method=method,
            uri=uri,
            nonce=nonce,
            qop=qop,
            nc=nc,
            cnonce=cnonce,
            body=body,
        )
        assert got == expected
        ha1 = digest.digest_ha1(name, username, realm, password)
        assert ha1 == reference_ha1(algorithm, username, realm, password)
        for stored in (ha1, ha1.upper()):
            assert (
                digest.digest_response(
                    name,
                    username,
                    realm,
                    ha1=stored,
                    method=method,
                    uri=uri,
                    nonce=nonce,
                    qop=qop,
                    nc=nc,
                    cnonce=cnonce,
                    body=body,
                )
                == expected
            )


def test_rfc2069_form_ignores_nc_and_cnonce(digest: ModuleType) -> None:
    args = {
        "username": "alice",
        "realm": "atlanta.com",
        "password": "secret",
        "method": "REGISTER",
        "uri": "sip:atlanta.com",
        "nonce": "abc",
    }
    expected = reference("MD5", **args)
    assert digest.digest_response(**args) == expected
    assert digest.digest_response(**args, nc=7, cnonce="x") == expected


def test_nc_formats(digest: ModuleType) -> None:
    args = dict(RFC7616_MUFASA)
    for nc, text in [(0, "00000000"), (0xABCDEF, "00abcdef"), (0xFFFFFFFF, "ffffffff"), ("1", "1")]:
        args["nc"] = nc
        assert digest.digest_response("MD5", **args) == reference("MD5", **dict(args, nc=text))


def test_auth_int_hashes_the_body(digest: ModuleType) -> None:
    args = dict(RFC7616_MUFASA, qop="auth-int")
    sdp = b"v=0\r\no=alice 2890844526 2890844526 IN IP4 host.atlanta.com\r\n"
    with_body = digest.digest_response("SHA-256", **args, body=sdp)
    assert with_body == reference("SHA-256", **args, body=sdp)
    assert with_body != digest.digest_response("SHA-256", **args)
    assert digest.digest_response("SHA-256", **args, body=bytearray(sdp)) == with_body


@pytest.mark.parametrize("size", [1000, 5000])
def test_long_inputs_leave_the_stack(digest: ModuleType, size: int) -> None:
    # Inputs longer than the C twin's stack buffer take its heap path.
    args = dict(RFC7616_MUFASA, uri="/" + "x" * size, cnonce="c" * size, username="\u00fc" * size)
    for algorithm in ALGORITHMS:
        assert digest.digest_response(algorithm, **args) == reference(algorithm, **args)


# ---- bad inputs ----

HA1_LENGTH = {"MD5": 32, "SHA-256": 64, "SHA-512-256": 64}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_ha1_must_be_hex_of_the_right_length(digest: ModuleType, algorithm: str) -> None:
    length = HA1_LENGTH[algorithm.removesuffix("-sess")]
    args = dict(RFC7616_MUFASA)
    del args["password"]
    bad = [
        "",
        "a" * (length - 1),
        "a" * (length + 1),
        "a" * (96 - length),
        "g" + "a" * (length - 1),
        " " + "a" * (length - 1),
        "a" * (length - 1) + "\u00e9",
        "\u0660" * length,  # Arabic-Indic digit zero: a digit, but not hex
        "\ud800" + "a" * (length - 1),
    ]
    for ha1 in bad:
        with pytest.raises(DigestError, match=f"ha1 must be {length} hex digits"):
            digest.digest_response(algorithm, **args, ha1=ha1)
    with pytest.raises(TypeError):
        digest.digest_response(algorithm, **args, ha1=b"a" * length)


def test_password_xor_ha1(digest: ModuleType) -> None:
    with pytest.raises(DigestError, match="exactly one"):
        digest.digest_response("MD5", "u", "r", nonce="n")
    with pytest.raises(DigestError, match="exactly one"):
        digest.digest_response("MD5", "u", "r", password="p", ha1="0" * 32, nonce="n")


@pytest.mark.parametrize("qop", ["auth", "auth-int"])
def test_qop_needs_nc_and_cnonce(digest: ModuleType, qop: str) -> None:
    args = {"username": "u", "realm": "r", "password": "p", "nonce": "n", "qop": qop}
    with pytest.raises(DigestError, match="needs nc"):
        digest.digest_response("MD5", **args, cnonce="c")
    with pytest.raises(DigestError, match="needs cnonce"):
        digest.digest_response("MD5", **args, nc=1)


@pytest.mark.parametrize("algorithm", ["MD5-sess", "SHA-256-sess", "SHA-512-256-sess"])
def test_sess_needs_cnonce(digest: ModuleType, algorithm: str) -> None:
    with pytest.raises(DigestError, match=f"{algorithm} needs cnonce"):
        digest.digest_response(algorithm.lower(), "u", "r", "p", nonce="n")


@pytest.mark.parametrize("qop", ["auth-conf", "", "AUTH", "auth,auth-int", b"auth", 1])
def test_unsupported_qop(digest: ModuleType, qop: object) -> None:
    with pytest.raises(DigestError, match="unsupported qop"):
        digest.digest_response("MD5", "u", "r", "p", nonce="n", qop=qop, nc=1, cnonce="c")


@pytest.mark.parametrize("nc", [-1, 0x100000000, 2**70])
def test_nc_out_of_range(digest: ModuleType, nc: int) -> None:
    with pytest.raises(DigestError, match="nc out of range"):
        digest.digest_response("MD5", "u", "r", "p", nonce="n", qop="auth", nc=nc, cnonce="c")


@pytest.mark.parametrize(
    "bad",
    [
        {"username": b"u"},
        {"realm": None},
        {"password": 5},
        {"uri": b"sip:x"},
        {"nonce": None},
        {"cnonce": b"c"},
        {"nc": 1.0},
        {"qop": "auth-int", "body": "text"},
    ],
)
def test_wrong_types(digest: ModuleType, bad: dict[str, object]) -> None:
    args: dict[str, object] = {
        "username": "u",
        "realm": "r",
        "password": "p",
        "method": "GET",
        "uri": "/",
        "nonce": "n",
        "qop": "auth",
        "nc": 1,
        "cnonce": "c",
    }
    with pytest.raises(TypeError):
        digest.digest_response("MD5", **{**args, **bad})


def test_surrogates_cannot_be_encoded(digest: ModuleType) -> None:
    with pytest.raises(UnicodeEncodeError):
        digest.digest_response("MD5", "\ud800", "r", "p", nonce="n")
    with pytest.raises(UnicodeEncodeError):
        digest.hash_hex("MD5", "\udfff")


# ---- the twins side by side, on anything at all ----

ANY = st.one_of(st.none(), st.text(max_size=20), st.binary(max_size=5), st.integers(-2, 2**33))
HEXISH = st.text(alphabet="0123456789abcdefABCDEFg", min_size=30, max_size=66)


def outcome(call: Callable[[], str]) -> tuple[str, str]:
    try:
        return ("value", call())
    except DigestError as exc:
        return ("DigestError", str(exc))
    except (TypeError, ValueError) as exc:  # messages differ between CPython's C and Python paths
        return (type(exc).__name__, "")


@settings(max_examples=500)
@given(
    algorithm=st.one_of(st.sampled_from([*ALGORITHMS, "md5", "sha-256-SESS", "", None, "SHA1"]), ANY),
    username=ANY,
    realm=ANY,
    password=ANY,
    ha1=st.one_of(ANY, HEXISH),
    method=ANY,
    uri=ANY,
    nonce=ANY,
    qop=st.one_of(QOP, ANY),
    nc=st.one_of(NC, ANY),
    cnonce=ANY,
    body=st.one_of(st.binary(max_size=10), ANY),
)
def test_twins_agree_on_any_input(
    algorithm: Any,
    username: Any,
    realm: Any,
    password: Any,
    ha1: Any,
    method: Any,
    uri: Any,
    nonce: Any,
    qop: Any,
    nc: Any,
    cnonce: Any,
    body: Any,
) -> None:
    from sipfast import _digest_py

    c = c_twin()
    kwargs = {
        "algorithm": algorithm,
        "username": username,
        "realm": realm,
        "password": password,
        "ha1": ha1,
        "method": method,
        "uri": uri,
        "nonce": nonce,
        "qop": qop,
        "nc": nc,
        "cnonce": cnonce,
        "body": body,
    }
    assert outcome(lambda: c.digest_response(**kwargs)) == outcome(lambda: _digest_py.digest_response(**kwargs))
    args = (kwargs["algorithm"], kwargs["username"], kwargs["realm"], kwargs["password"])
    assert outcome(lambda: c.digest_ha1(*args)) == outcome(lambda: _digest_py.digest_ha1(*args))
    args = (kwargs["algorithm"], kwargs["body"])
    assert outcome(lambda: c.hash_hex(*args)) == outcome(lambda: _digest_py.hash_hex(*args))
