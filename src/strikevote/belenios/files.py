"""Opening input files: regular files only, so that a named pipe or a device is refused instead of hanging."""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path
from typing import BinaryIO


class NotRegularFile(OSError):
    """The path names a directory, a named pipe, a socket or a device, not a regular file."""


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading in binary mode, refusing anything but a regular file.

    Opened non-blocking first (opening a FIFO for reading would otherwise wait for a writer), checked with
    ``fstat`` on the open descriptor (no window between the check and the use), then made blocking again.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = (
                "a directory"
                if stat.S_ISDIR(mode)
                else "a named pipe"
                if stat.S_ISFIFO(mode)
                else "not a file"
            )
            raise NotRegularFile(0, f"{kind}, not a regular file", str(path))
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular_text(path: Path) -> str:
    """The UTF-8 text of a regular file (see :func:`open_regular`)."""
    with open_regular(path) as f:
        return f.read().decode("utf-8")
