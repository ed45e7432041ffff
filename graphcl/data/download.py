"""Verified, atomic, restartable downloads and safe archive extraction.

A download streams into ``<dest>.part`` and is renamed to ``dest`` only after its hash
matches the expected one, so a half-written or corrupt file is never used. An interrupted
download leaves the ``.part`` file; the next attempt asks the server for the remaining
bytes (HTTP ``Range``) and starts over if the server does not honour it.

Two hash kinds are accepted: SHA-256 of the bytes, and the git blob SHA-1
``sha1(b"blob <size>\\0" + bytes)`` that GitHub shows for files it stores, which lets a
file be pinned by the blob id of a repository commit without having its SHA-256.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import List, Optional, Union

from graphcl.errors import DataError

PathLike = Union[str, os.PathLike]
_CHUNK = 1 << 20
_TIMEOUT_S = 60


def sha256_file(path: PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def git_blob_sha1_file(path: PathLike) -> str:
    """Hex git blob id of a file: ``sha1(b"blob <size>\\0" + content)``."""
    digest = hashlib.sha1(f"blob {os.path.getsize(path)}\0".encode())
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: PathLike, sha256: Optional[str] = None, git_blob_sha1: Optional[str] = None,
                delete_on_mismatch: bool = False, label: Optional[PathLike] = None) -> None:
    """Raise :class:`DataError` naming the file and both hashes if ``path`` does not match.

    SHA-256 is checked when given, otherwise the git blob SHA-1. With
    ``delete_on_mismatch`` the bad file is removed before raising (used for downloads; never
    for files in a user's data folder). ``label`` is the name shown in the message.
    """
    if sha256:
        kind, expected, actual = "sha256", sha256.lower(), sha256_file(path)
    elif git_blob_sha1:
        kind, expected, actual = "git blob sha1", git_blob_sha1.lower(), git_blob_sha1_file(path)
    else:
        raise DataError(label or path, "no sha256 or git blob sha1 to verify the file against")
    if actual != expected:
        if delete_on_mismatch:
            Path(path).unlink(missing_ok=True)
        kept = " (the bad file was deleted)" if delete_on_mismatch else ""
        raise DataError(label or path, f"{kind} mismatch: expected {expected}, got {actual}{kept}")


def download(url: str, dest: PathLike, sha256: Optional[str] = None, git_blob_sha1: Optional[str] = None,
             progress: bool = True) -> Path:
    """Fetch ``url`` into ``dest`` atomically and verify it; returns ``dest``.

    An existing ``dest`` that verifies is kept without network access. The bytes go to
    ``dest + ".part"`` (resumed with an HTTP Range request when one is left over) and
    ``dest`` appears only once the hash matches. A mismatch deletes the download and raises
    :class:`DataError` with both hashes; network failures raise :class:`DataError` naming
    the URL.
    """
    if not (sha256 or git_blob_sha1):
        raise DataError(dest, f"refusing to download {url} without a sha256 or git blob sha1 to verify it")
    dest = Path(dest)
    if dest.is_file():
        verify_file(dest, sha256, git_blob_sha1)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    if offset and _verifies(part, sha256, git_blob_sha1):
        # a complete download whose rename was interrupted: asking for more would get HTTP 416
        os.replace(part, dest)
        return dest
    request = urllib.request.Request(url, headers={"User-Agent": "graphcl"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as resp:
            resumed = offset > 0 and getattr(resp, "status", None) == 206
            if not resumed:
                offset = 0
            length = resp.headers.get("Content-Length")
            total = offset + int(length) if length is not None else None
            _stream(resp, part, offset, total, progress, desc=dest.name)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # the server has no bytes past the partial file: it is not a prefix of this file
            part.unlink()
            return download(url, dest, sha256=sha256, git_blob_sha1=git_blob_sha1, progress=progress)
        raise DataError(dest, f"download from {url} failed (HTTP {exc.code} {exc.reason}); "
                              f"a partial file, if any, is kept at {part.name} and the next attempt resumes it") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(dest, f"download from {url} failed ({reason}); "
                              f"a partial file, if any, is kept at {part.name} and the next attempt resumes it") from None
    verify_file(part, sha256, git_blob_sha1, delete_on_mismatch=True, label=f"{dest} (downloaded from {url})")
    os.replace(part, dest)
    return dest


def _verifies(path: Path, sha256: Optional[str], git_blob_sha1: Optional[str]) -> bool:
    try:
        verify_file(path, sha256, git_blob_sha1)
    except DataError:
        return False
    return True


def _stream(resp, part: Path, offset: int, total: Optional[int], progress: bool, desc: str) -> None:
    from tqdm.auto import tqdm

    with open(part, "ab" if offset else "wb") as out, \
            tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=desc, disable=not progress) as bar:
        for block in iter(lambda: resp.read(_CHUNK), b""):
            out.write(block)
            bar.update(len(block))


def _check_member_path(archive: Path, name: str, target: Path) -> Path:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or (pure.parts and pure.parts[0].endswith(":")):
        raise DataError(archive, f"unsafe archive member {name!r}: absolute path")
    if ".." in pure.parts:
        raise DataError(archive, f"unsafe archive member {name!r}: '..' in path")
    out = (target / pure).resolve()
    if not out.is_relative_to(target):
        raise DataError(archive, f"unsafe archive member {name!r}: resolves outside {target}")
    return out


def _check_link(archive: Path, name: str, link_target: str, target: Path, hard: bool) -> None:
    member_dir = (target / PurePosixPath(name)).parent
    base = target if hard else member_dir  # tar hard links are relative to the archive root
    dest = (base / link_target).resolve() if not os.path.isabs(link_target) else Path(link_target).resolve()
    if not dest.is_relative_to(target):
        raise DataError(archive, f"unsafe archive member {name!r}: link to {link_target!r} points outside the target")


def extract_archive(archive: PathLike, target: PathLike) -> List[Path]:
    """Extract a ``.zip`` or ``.tar[.gz|.bz2|.xz]`` into ``target``; returns the extracted files.

    Every member is checked before anything is written: absolute paths, ``..`` components
    and (tar) links or devices pointing outside ``target`` raise :class:`DataError` naming
    the archive and the member. Zip symlinks are refused outright.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    target = target.resolve()
    written: List[Path] = []
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            for info in infos:
                _check_member_path(archive, info.filename, target)
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise DataError(archive, f"unsafe archive member {info.filename!r}: symbolic link")
            for info in infos:
                out = _check_member_path(archive, info.filename, target)
                if info.is_dir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
                written.append(out)
        return written
    try:
        tf = tarfile.open(archive)
    except tarfile.TarError as exc:
        raise DataError(archive, f"not a zip or tar archive ({exc})") from None
    with tf:
        members = tf.getmembers()
        for m in members:
            _check_member_path(archive, m.name, target)
            if m.issym() or m.islnk():
                _check_link(archive, m.name, m.linkname, target, hard=m.islnk())
            elif not (m.isfile() or m.isdir()):
                raise DataError(archive, f"unsafe archive member {m.name!r}: device or special file")
        for m in members:
            out = _check_member_path(archive, m.name, target)
            if m.isdir():
                out.mkdir(parents=True, exist_ok=True)
            elif m.isfile():
                out.parent.mkdir(parents=True, exist_ok=True)
                src = tf.extractfile(m)
                with src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
                written.append(out)
            else:  # a link already checked to stay inside target
                out.parent.mkdir(parents=True, exist_ok=True)
                if m.issym():
                    os.symlink(m.linkname, out)
                else:
                    os.link(target / m.linkname, out)
                written.append(out)
    return written


__all__ = ["download", "extract_archive", "verify_file", "sha256_file", "git_blob_sha1_file"]
