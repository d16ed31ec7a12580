"""Where outputs go: links, special files, outputs that collide, and run locks.

Kept apart from :mod:`mixsynth.io` (which formats tables) because these rules are about
paths and processes, and every command shares them (docs/safety.md says them for users):

- ``-`` is stdout; a path that names one of this process's open descriptors
  (``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``) is written *through* that
  descriptor, as the shell set it up (so ``>>`` appends);
- a device, a pipe or a FIFO (or a link to one) is written into, never renamed over;
- a symbolic link to a file means its target: the target is written, atomically, by a
  temporary file in the target's folder; a dangling link is refused without --force
  and its target created with it;
- the outputs of one run are distinct from each other and from its inputs, compared as
  real paths (links followed) and as files (hard links);
- a run holds a lock on each output folder and file while it writes them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mixsynth.choices import STDIO
from mixsynth.errors import LockError, OutputError

#: A folder of descriptor links: /proc/<pid>/fd (/dev/fd and /proc/self/fd resolve to it).
_DESCRIPTOR_FOLDER = re.compile(r"/proc/([^/]+)/fd")
#: Links followed at most, as the kernel's own limit (a loop is reported, not followed).
_MAX_LINKS = 40
_STREAMS = {0: "stdin", 1: "stdout", 2: "stderr"}


@dataclass(frozen=True)
class Target:
    """What writing to a path means.

    ``descriptor``: a descriptor of this process to write through (``-`` is 1).
    ``special``: a device, pipe, FIFO or socket, opened and written into.
    Otherwise a regular file (existing or not) at ``real``, the path with every link
    followed, written atomically there; ``link`` says ``dest`` was a symbolic link.
    """

    dest: str
    real: str
    descriptor: int | None = None
    special: bool = False
    link: bool = False

    @property
    def exists(self) -> bool:
        return os.path.lexists(self.real)

    @property
    def direct(self) -> bool:
        """Written into as it is (no temporary file, no rename, no lock)."""
        return self.descriptor is not None or self.special


def _descriptor_link(path: str) -> tuple[bool, int | None]:
    """Whether ``path`` names an open descriptor (a link in /proc/PID/fd, followed hop
    by hop: ``/dev/stdout`` -> ``/proc/self/fd/1``), and its number if it is this
    process's own."""
    current = os.path.abspath(path)
    for _ in range(_MAX_LINKS):
        folder = os.path.realpath(os.path.dirname(current))
        match = _DESCRIPTOR_FOLDER.fullmatch(folder)
        if match is not None:
            name = os.path.basename(current)
            own = match.group(1) in ("self", str(os.getpid())) and name.isdigit()
            return True, int(name) if own else None
        if not os.path.islink(current):
            return False, None
        try:
            current = os.path.join(folder, os.readlink(current))
        except OSError:
            return False, None
    return False, None


def _own_descriptor(path: str) -> int | None:
    return _descriptor_link(path)[1]


def resolve(dest: str) -> Target:
    """What writing to ``dest`` means (see the module's rules)."""
    if dest == STDIO:
        return Target(dest, STDIO, descriptor=1)
    is_descriptor, descriptor = _descriptor_link(dest)
    if descriptor is not None:
        return Target(dest, f"/dev/fd/{descriptor}", descriptor=descriptor)
    if is_descriptor:  # another process's descriptor: whatever it is, written into
        return Target(dest, os.path.abspath(dest), special=True)
    link = os.path.islink(dest)
    real = os.path.realpath(dest)
    try:
        mode = os.stat(dest).st_mode
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise OutputError(
                f"output {dest!r} is a symbolic link loop", "point the link at a file"
            ) from None
        return Target(dest, real, link=link)  # missing, or a dangling link
    special = not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)
    return Target(dest, real, special=special, link=link)


def check_target(dest: str, force: bool) -> Target:
    """Refuse an output that cannot or may not be written; returns what it means."""
    target = resolve(dest)
    if target.descriptor is not None:
        if target.descriptor in _STREAMS and getattr(sys, _STREAMS[target.descriptor]) is None:
            raise OutputError(
                f"{_STREAMS[target.descriptor]} is closed, so output {dest!r} cannot be written",
                "give a file path, or run the command with that stream open",
            )
        return target
    if target.special:
        return target
    shown = f"output {dest!r}" + (f" (a link to {target.real!r})" if target.link else "")
    if os.path.isdir(target.real):
        raise OutputError(f"{shown} is a directory", "give a file name")
    if target.link and not os.path.exists(target.real) and not force:
        raise OutputError(
            f"output {dest!r} is a link to {target.real!r}, which does not exist",
            "give --force to create that file through the link, or another path",
        )
    if target.exists and not force:
        raise OutputError(f"{shown} already exists", "give --force to overwrite it")
    folder = Path(target.real).parent
    if not folder.exists():
        raise OutputError(f"the folder of {shown} does not exist", "create it first")
    if not folder.is_dir():
        raise OutputError(f"the folder of {shown} is not a folder", "check the path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write in the folder of {shown}", "check its permissions")
    return target


# --------------------------------------------------------------------------- collisions


def _identity(path: str, reading: bool) -> tuple | None:
    """What two paths share when they are the same file: the stream, or the real path
    and, for an existing file, its device and inode (hard links). None: /dev/null,
    which any number of outputs may share."""
    if path == STDIO:
        return ("stream", 0 if reading else 1)
    descriptor = _own_descriptor(path)
    if descriptor is not None:
        return ("stream", descriptor)
    real = os.path.realpath(path)
    try:
        info = os.stat(path)
    except OSError:
        return ("path", real)
    if real == os.devnull or (stat.S_ISCHR(info.st_mode) and os.path.samefile(path, os.devnull)):
        return None
    return ("file", info.st_dev, info.st_ino)


def check_distinct(outputs: Iterable[tuple[str, str]], inputs: Iterable[str] = ()) -> None:
    """Refuse a run whose outputs (option, path) coincide with each other or an input.

    Paths are compared with every link followed, and existing files by device and
    inode, so a link, a hard link or another spelling of a path is caught too.
    """
    seen: dict[tuple, str] = {}
    for source in inputs:
        identity = _identity(source, reading=True)
        if identity is not None:
            seen.setdefault(identity, f"the input file {source!r}")
            if identity[0] == "file":  # a file that exists: its path too (for links)
                seen.setdefault(("path", os.path.realpath(source)), f"the input file {source!r}")
    for option, path in outputs:
        identities = [_identity(path, reading=False)]
        if identities[0] is None:
            continue
        if identities[0][0] == "file":
            identities.append(("path", os.path.realpath(path)))
        for identity in identities:
            if identity in seen:
                what = f"{option} {path!r}"
                if seen[identity].startswith("the input"):
                    raise OutputError(
                        f"{what} is {seen[identity]}", "write the output to another path"
                    )
                raise OutputError(
                    f"{what} is the same file as {seen[identity]}",
                    "give every output of a run its own path",
                )
        for identity in identities:
            seen[identity] = f"{option} {path!r}"


# --------------------------------------------------------------------------- locks


def _holder(text: str) -> str:
    return " ".join(text.split()) or "a process that has not said who it is"


@dataclass
class RunLock:
    """An exclusive lock, held for a run, on a lock file (``fcntl.flock``).

    The kernel releases it when the process dies, however it dies, so a lock left by a
    killed run never blocks the next one; the file says who holds it (pid, host, start
    time), for the one-line refusal. Removed when released.
    """

    path: Path
    what: str
    _descriptor: int | None = None

    def acquire(self) -> None:
        import fcntl

        for _ in range(10):
            try:
                descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise LockError(
                    f"cannot lock {self.what}: cannot create {str(self.path)!r}: "
                    f"{error.strerror or error}",
                    "check the folder's permissions",
                ) from None
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                holder = _holder(os.read(descriptor, 4096).decode("utf-8", "replace"))
                os.close(descriptor)
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise LockError(
                        f"cannot lock {self.what}: {error.strerror or error}",
                        "use a local folder",
                    ) from None
                raise LockError(
                    f"{self.what} is in use by another mixsynth run ({holder})",
                    "wait for that run to finish, or write somewhere else",
                ) from None
            # Its previous holder may have removed the file between our open and lock:
            # then the lock is on a file nobody else will see; take the new one.
            try:
                if os.stat(self.path).st_ino == os.fstat(descriptor).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(descriptor)
        else:  # pragma: no cover (ten removals in a row)
            raise LockError(f"cannot lock {self.what}", "run again")
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        os.ftruncate(descriptor, 0)
        os.write(
            descriptor, f"pid {os.getpid()} on {socket.gethostname()} since {started}\n".encode()
        )
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # while still held, so no one locks the old file
        os.close(self._descriptor)
        self._descriptor = None


@contextlib.contextmanager
def locked(locks: Iterable[RunLock]) -> Iterator[None]:
    """Hold every lock for the block (taken in order, released in reverse)."""
    with contextlib.ExitStack() as stack:
        for lock in locks:
            lock.acquire()
            stack.callback(lock.release)
        yield


def file_lock(target: Target, what: str) -> RunLock:
    """The lock of one output file: ``.NAME.lock`` beside the file the run writes."""
    real = Path(target.real)
    return RunLock(real.parent / f".{real.name}.lock", what)


def remove_leftovers(folder: Path, name_pattern: str) -> None:
    """Remove temporary files a killed run left for outputs named like ``name_pattern``
    (a regular expression) in ``folder``; called while holding their lock, so no
    running process owns them. The names are those :func:`mixsynth.io.atomic_path` makes."""
    leftover = re.compile(rf"\.(?:{name_pattern})\.[0-9a-f]{{12}}\.tmp")
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if leftover.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
