"""Where a table comes from: files or stdin, the bytes that say what a file is
(magic numbers, byte-order marks, compression), and failures as one line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

import pyarrow as pa

from mixsynth.choices import STDIO
from mixsynth.errors import InputError, OutputError

PARQUET_MAGIC = b"PAR1"
#: How much of an input is sniffed for magic numbers, byte-order marks and binary data.
HEAD_BYTES = 1 << 16
#: Byte-order marks of text that is not UTF-8 (UTF-32 first: its LE mark starts like UTF-16's).
TEXT_BOMS = {
    b"\xff\xfe\x00\x00": "utf-32",
    b"\x00\x00\xfe\xff": "utf-32",
    b"\xff\xfe": "utf-16",
    b"\xfe\xff": "utf-16",
}


def source_bytes(source: str) -> pa.Buffer | str:
    """The input for pyarrow: a path, or the bytes of stdin and of anything that is not
    a regular file (a pipe such as bash's ``<(...)`` can be read only once, in order)."""
    if source == STDIO:
        return pa.py_buffer(stdin_bytes())
    if not Path(source).is_file() or not arrow_can_open(source):
        with open(source, "rb") as handle:
            return pa.py_buffer(handle.read())
    return source


#: Largest settings file (--metadata, --config) read: theirs are kilobytes, so a larger
#: one is a mistake (a table given as metadata, /dev/zero), refused before it fills memory.
SETTINGS_FILE_LIMIT = 16 << 20


def settings_bytes(path: str | Path, what: str) -> bytes:
    """The bytes of a small settings file (``what``: e.g. 'metadata file'), refused when
    larger than :data:`SETTINGS_FILE_LIMIT` (at most that much is read). OSError is
    left to the caller, which knows what to suggest."""
    with open(path, "rb") as handle:
        data = handle.read(SETTINGS_FILE_LIMIT + 1)
    if len(data) > SETTINGS_FILE_LIMIT:
        raise InputError(
            f"{what} {str(path)!r} is larger than {SETTINGS_FILE_LIMIT >> 20} MiB, more "
            "than any such file needs",
            f"give the {what} itself (is this a table, or an endless device?)",
        )
    return data


def arrow_can_open(path: str | os.PathLike[str]) -> bool:
    """Whether Arrow can open ``path`` by name: it takes names as UTF-8, and under a
    locale that is not UTF-8 (POSIX) Python hands over a name such as 'größe.csv' with
    its bytes escaped (surrogates), which UTF-8 cannot encode. Such files are opened by
    Python instead."""
    try:
        os.fspath(path).encode("utf-8")  # a str or a Path (the library takes both)
    except UnicodeEncodeError:
        return False
    return True


def stdin_bytes() -> bytes:
    """All of stdin; a closed stdin (``<&-``) is a bad input, not a crash."""
    if sys.stdin is None:
        raise InputError("stdin is closed", "pipe a table in, or give a file path")
    return sys.stdin.buffer.read()


def stdout_buffer() -> IO[bytes]:
    """stdout as bytes; a closed stdout (``>&-``) is a bad usage, not a crash."""
    if sys.stdout is None:
        raise OutputError(
            "stdout is closed, so nothing can be written to it", "give a file path instead of -"
        )
    return sys.stdout.buffer


def compressed_format(head: bytes) -> InputError | None:
    """A clear error for compressed files and archives, which look like binary garbage."""
    kinds = {
        b"\x1f\x8b": ("gzip-compressed", "decompress it first, e.g. gunzip -k FILE"),
        b"PK\x03\x04": ("a zip archive (an Excel .xlsx?)", "unzip it, or export it as CSV"),
        b"\xfd7zXZ\x00": ("xz-compressed", "decompress it first, e.g. unxz -k FILE"),
        b"\x28\xb5\x2f\xfd": ("zstd-compressed", "decompress it first, e.g. unzstd FILE"),
    }
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        kinds[head[:3]] = ("bzip2-compressed", "decompress it first, e.g. bunzip2 -k FILE")
    for magic, (what, hint) in kinds.items():
        if head.startswith(magic):
            return InputError(what, hint)
    return None


def head_of(source: pa.Buffer | str, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes, for sniffing magic numbers, BOMs and binary data."""
    if isinstance(source, pa.Buffer):
        return source[:size].to_pybytes()
    try:
        with open(source, "rb") as handle:
            return handle.read(size)
    except OSError as error:
        raise InputError(f"cannot read {source!r}: {error.strerror or error}") from None


def all_bytes(source: pa.Buffer | str) -> bytes:
    """The whole input, only to locate a problem already found (never on success)."""
    if isinstance(source, pa.Buffer):
        return source.to_pybytes()
    with open(source, "rb") as handle:
        return handle.read()


def raise_if_out_of_memory(error: BaseException) -> None:
    """Arrow's ways of saying it ran out of memory (an allocation, a worker thread that
    could not start) are MemoryError, which the CLI reports as one line like any other."""
    if isinstance(error, pa.ArrowMemoryError) or "Failed to launch worker thread" in str(error):
        raise MemoryError(str(error)) from None


def first_line(error: BaseException, limit: int = 200) -> str:
    """An exception's text as one short line."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
