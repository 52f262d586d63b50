"""Calling the user's code: time budgets, and exceptions turned into locations.

Everything gradcheck runs of the user's goes through ``call``: a forward that
never returns is stopped after a budget, and an exception is wrapped in a
``UserCodeError`` that knows the user's file, line and source text.
"""
from __future__ import annotations

import contextlib
import linecache
import os
import signal
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Callable

_OUR_DIR = os.path.dirname(os.path.abspath(__file__))


class UserCodeTimeout(Exception):
    """The user's code ran past its time budget."""


@dataclass
class UserCodeError(Exception):
    """An exception raised inside the user's code, located in the user's file."""

    role: str
    exc: BaseException
    file: str | None
    line: int | None
    function: str | None
    code: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line} in {self.function}" if self.file else "user code"
        kind = "ran longer than its time budget" if isinstance(self.exc, UserCodeTimeout) else (
            f"raised {type(self.exc).__name__}: {self.exc}")
        return f"{self.role} {kind} ({where})" + (f": {self.code}" if self.code else "")


def user_frame(tb, prefer_file: str | None = None):
    """The innermost traceback frame in the user's code (not numpy, not gradcheck)."""
    frames = traceback.extract_tb(tb)
    best = None
    for fr in frames:
        fn = os.path.abspath(fr.filename)
        if prefer_file and fn == os.path.abspath(prefer_file):
            best = fr
        elif best is None or not (prefer_file and best.filename == prefer_file):
            if not _is_library(fn):
                best = fr
    return best


def _is_library(path: str) -> bool:
    return (path.startswith(_OUR_DIR) or "site-packages" in path or "dist-packages" in path
            or "/lib/python3" in path or path.startswith("<"))


@contextlib.contextmanager
def time_budget(seconds: float | None):
    """Raise UserCodeTimeout in the main thread when ``seconds`` pass (no-op elsewhere)."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise UserCodeTimeout(f"still running after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    old_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if old_timer[0]:
            signal.setitimer(signal.ITIMER_REAL, old_timer[0])


def call(role: str, fn: Callable, *args: Any, budget: float | None = None, prefer_file: str | None = None) -> Any:
    """Run ``fn(*args)`` as the user's ``role``; failures become UserCodeError."""
    try:
        with time_budget(budget):
            return fn(*args)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - user code may raise anything
        raise locate(role, e, prefer_file) from e


def locate(role: str, e: BaseException, prefer_file: str | None = None) -> UserCodeError:
    fr = user_frame(e.__traceback__, prefer_file)
    if fr is None:
        return UserCodeError(role, e, None, None, None, "")
    code = (fr.line or linecache.getline(fr.filename, fr.lineno)).strip()
    return UserCodeError(role, e, fr.filename, fr.lineno, fr.name, code)
