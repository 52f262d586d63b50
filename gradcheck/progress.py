"""A progress line on stderr for checks that take a while.

``Progress(stream)`` is a context manager and a callable: ``progress("gradients")``
says which stage is running. Nothing is written until a check has run for
``delay`` seconds (1 s by default: quick checks print nothing), and nothing
at all unless ``stream`` is a terminal, so redirected output, pipes, CI logs
and ``--format json`` stay clean. The line is erased when the check ends.
The report itself always goes to stdout; this only ever writes to ``stream``.
"""
from __future__ import annotations

import threading
import time
from typing import TextIO

_FRAMES = "|/-\\"
_CLEAR = "\r\033[K"


def is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a file
        return False


class Progress:
    """Show ``<spinner> gradcheck: <stage> (<seconds> s)`` on a terminal while a check runs.

    Args:
        stream: where to draw (stderr). Nothing is drawn when it is not a terminal.
        delay: seconds before the line first appears.
        interval: seconds between redraws.
        enabled: force off (``False``) or leave it to ``is_terminal(stream)`` (``None``).
    """

    def __init__(self, stream: TextIO, delay: float = 1.0, interval: float = 0.1, enabled: bool | None = None):
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.enabled = is_terminal(stream) if enabled is None else enabled
        self.stage = "starting"
        self._start = 0.0
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, stage: str) -> None:
        self.stage = stage

    def __enter__(self) -> "Progress":
        self._start = time.monotonic()
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="gradcheck-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            if self._shown:
                self._write(_CLEAR)

    def line(self, frame: int) -> str:
        """The text of the progress line at spinner frame ``frame``."""
        elapsed = time.monotonic() - self._start
        return f"{_FRAMES[frame % len(_FRAMES)]} gradcheck: {self.stage} ({elapsed:.1f} s)"

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        frame = 0
        while not self._stop.is_set():
            with self._lock:
                self._write(_CLEAR + self.line(frame))
                self._shown = True
            frame += 1
            self._stop.wait(self.interval)

    def _write(self, s: str) -> None:
        try:
            self.stream.write(s)
            self.stream.flush()
        except (ValueError, OSError):  # the stream went away: stop drawing
            self._stop.set()
