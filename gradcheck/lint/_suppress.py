"""``# gradcheck: ignore[cause, ...]`` comments: silence findings on one line.

``# gradcheck: ignore`` with no bracket silences every cause on its line. A
finding is silenced when the comment sits on any line of the statement the
finding points into (so a multi-line call can carry the comment on its last
line).
"""
from __future__ import annotations

import io
import re
import tokenize

ALL = "*"
_IGNORE = re.compile(r"#\s*gradcheck\s*:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE)


def ignored_lines(source: str) -> dict[int, set[str]]:
    """``{line: {cause, ...}}`` from the comments; ``{ALL}`` for a bare ignore."""
    out: dict[int, set[str]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return out
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = _IGNORE.search(tok.string)
        if not m:
            continue
        causes = out.setdefault(tok.start[0], set())
        if m.group(1) is None:
            causes.add(ALL)
        else:
            causes.update(c.strip() for c in m.group(1).split(",") if c.strip())
    return out


def is_ignored(ignores: dict[int, set[str]], cause: str, first_line: int, last_line: int) -> bool:
    for line in range(first_line, max(first_line, last_line) + 1):
        causes = ignores.get(line)
        if causes and (ALL in causes or cause in causes):
            return True
    return False
