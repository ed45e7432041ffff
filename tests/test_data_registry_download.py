"""Verified downloads (file:// and a loopback HTTP server with Range) and safe archive extraction."""
import hashlib
import http.server
import io
import socket
import tarfile
import threading
import zipfile

import pytest

from graphcl.data.download import download, extract_archive, git_blob_sha1_file, sha256_file, verify_file
from graphcl.errors import DataError

HELLO = b"hello\n"
HELLO_SHA256 = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
HELLO_BLOB = "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object` of "hello\n"


def test_hashes_match_known_values(tmp_path):
    path = tmp_path / "hello.txt"
    path.write_bytes(HELLO)
    assert sha256_file(path) == HELLO_SHA256
    assert git_blob_sha1_file(path) == HELLO_BLOB
    verify_file(path, sha256=HELLO_SHA256)
    verify_file(path, git_blob_sha1=HELLO_BLOB)


def test_verify_mismatch_names_file_and_both_hashes_and_keeps_user_file(tmp_path):
    path = tmp_path / "hello.txt"
    path.write_bytes(HELLO)
    with pytest.raises(DataError) as info:
        verify_file(path, sha256="0" * 64)
    assert info.value.path == str(path)
    assert info.value.problem == f"sha256 mismatch: expected {'0' * 64}, got {HELLO_SHA256}"
    assert path.exists()


def test_download_file_url(tmp_path):
    src = tmp_path / "src.txt"
    src.write_bytes(HELLO)
    dest = tmp_path / "out" / "hello.txt"
    assert download(src.as_uri(), dest, sha256=HELLO_SHA256, progress=False) == dest
    assert dest.read_bytes() == HELLO
    assert not (tmp_path / "out" / "hello.txt.part").exists()


def test_download_by_git_blob_sha1(tmp_path):
    src = tmp_path / "src.txt"
    src.write_bytes(HELLO)
    dest = tmp_path / "hello.txt"
    download(src.as_uri(), dest, git_blob_sha1=HELLO_BLOB, progress=False)
    assert dest.read_bytes() == HELLO


def test_download_hash_mismatch_deletes_the_bad_file(tmp_path):
    src = tmp_path / "src.txt"
    src.write_bytes(b"tampered\n")
    dest = tmp_path / "hello.txt"
    with pytest.raises(DataError) as info:
        download(src.as_uri(), dest, sha256=HELLO_SHA256, progress=False)
    got = hashlib.sha256(b"tampered\n").hexdigest()
    assert str(dest) in str(info.value) and src.as_uri() in str(info.value)
    assert f"expected {HELLO_SHA256}, got {got}" in info.value.problem
    assert not dest.exists() and not (tmp_path / "hello.txt.part").exists()


def test_download_refuses_without_a_hash(tmp_path):
    with pytest.raises(DataError, match="without a sha256 or git blob sha1"):
        download("file:///nonexistent", tmp_path / "x", progress=False)


def test_existing_verified_file_needs_no_network(tmp_path):
    dest = tmp_path / "hello.txt"
    dest.write_bytes(HELLO)
    download("http://127.0.0.1:9/never-contacted", dest, sha256=HELLO_SHA256, progress=False)
    assert dest.read_bytes() == HELLO


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_network_failure_names_url_and_keeps_partial(tmp_path):
    dest = tmp_path / "hello.txt"
    (tmp_path / "hello.txt.part").write_bytes(b"hel")
    url = f"http://127.0.0.1:{_free_port()}/hello.txt"
    with pytest.raises(DataError) as info:
        download(url, dest, sha256=HELLO_SHA256, progress=False)
    assert url in info.value.problem and "resumes" in info.value.problem
    assert (tmp_path / "hello.txt.part").read_bytes() == b"hel"


class _Server:
    """A loopback HTTP server serving ``payload``; honours Range unless ``ranges=False``."""

    def __init__(self, payload: bytes, ranges: bool):
        self.ranges_seen = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                rng = self.headers.get("Range")
                outer.ranges_seen.append(rng)
                if rng and ranges and int(rng.split("=")[1].rstrip("-")) >= len(payload):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(payload)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if rng and ranges:
                    start = int(rng.split("=")[1].rstrip("-"))
                    body = payload[start:]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(payload) - 1}/{len(payload)}")
                else:
                    body = payload
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/data.bin"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


PAYLOAD = bytes(range(256)) * 40


@pytest.mark.parametrize("ranges", [True, False])
def test_interrupted_download_resumes_or_restarts(tmp_path, ranges):
    dest = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:1000])
    with _Server(PAYLOAD, ranges=ranges) as server:
        download(server.url, dest, sha256=hashlib.sha256(PAYLOAD).hexdigest(), progress=False)
    assert server.ranges_seen == ["bytes=1000-"]
    assert dest.read_bytes() == PAYLOAD


def test_complete_partial_file_is_kept_without_a_request(tmp_path):
    """A crash between the last byte and the rename leaves a complete .part: no Range past its end."""
    dest = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD)
    with _Server(PAYLOAD, ranges=True) as server:
        download(server.url, dest, sha256=hashlib.sha256(PAYLOAD).hexdigest(), progress=False)
    assert server.ranges_seen == []
    assert dest.read_bytes() == PAYLOAD and not (tmp_path / "data.bin.part").exists()


def test_partial_file_past_the_end_restarts_after_http_416(tmp_path):
    dest = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(b"x" * (len(PAYLOAD) + 10))  # not a prefix of the file
    with _Server(PAYLOAD, ranges=True) as server:
        download(server.url, dest, sha256=hashlib.sha256(PAYLOAD).hexdigest(), progress=False)
    assert server.ranges_seen == [f"bytes={len(PAYLOAD) + 10}-", None]
    assert dest.read_bytes() == PAYLOAD


def test_fresh_http_download_sends_no_range(tmp_path):
    dest = tmp_path / "data.bin"
    with _Server(PAYLOAD, ranges=True) as server:
        download(server.url, dest, git_blob_sha1=hashlib.sha1(b"blob %d\0" % len(PAYLOAD) + PAYLOAD).hexdigest(),
                 progress=False)
    assert server.ranges_seen == [None]
    assert dest.read_bytes() == PAYLOAD


# -- archives ------------------------------------------------------------------------------
def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _tar(path, members):
    """members: name -> bytes (file) or ("sym"|"hard", target)."""
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type = tarfile.SYMTYPE if data[0] == "sym" else tarfile.LNKTYPE
                info.linkname = data[1]
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def test_safe_zip_and_tar_extract(tmp_path):
    z = _zip(tmp_path / "a.zip", {"ds/train.txt": b"0 1\n", "ds/test.txt": b"0 2\n"})
    out = extract_archive(z, tmp_path / "z")
    assert sorted(p.relative_to(tmp_path / "z").as_posix() for p in out) == ["ds/test.txt", "ds/train.txt"]
    t = _tar(tmp_path / "a.tar.gz", {"ds/train.txt": b"0 1\n", "ds/link.txt": ("sym", "train.txt")})
    extract_archive(t, tmp_path / "t")
    assert (tmp_path / "t" / "ds" / "link.txt").read_bytes() == b"0 1\n"


@pytest.mark.parametrize("kind, members, problem", [
    ("zip", {"../evil.txt": b"x"}, "'..' in path"),
    ("zip", {"/abs/evil.txt": b"x"}, "absolute path"),
    ("tar", {"ok/../../evil.txt": b"x"}, "'..' in path"),
    ("tar", {"/etc/evil": b"x"}, "absolute path"),
    ("tar", {"ds/link": ("sym", "/etc/passwd")}, "points outside the target"),
    ("tar", {"ds/link": ("sym", "../../outside")}, "points outside the target"),
    ("tar", {"ds/hard": ("hard", "../outside")}, "points outside the target"),
])
def test_unsafe_archive_members_are_refused_before_writing(tmp_path, kind, members, problem):
    archive = (_zip if kind == "zip" else _tar)(tmp_path / f"bad.{'zip' if kind == 'zip' else 'tar.gz'}",
                                                {"first.txt": b"ok", **members})
    target = tmp_path / "out"
    with pytest.raises(DataError) as info:
        extract_archive(archive, target)
    assert info.value.path == str(archive)
    assert "unsafe archive member" in info.value.problem and problem in info.value.problem
    assert not (target / "first.txt").exists()  # nothing written before the check


def test_zip_symlink_is_refused(tmp_path):
    archive = tmp_path / "sym.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(DataError, match="symbolic link"):
        extract_archive(archive, tmp_path / "out")


def test_not_an_archive(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"plain text")
    with pytest.raises(DataError, match="not a zip or tar archive"):
        extract_archive(path, tmp_path / "out")
