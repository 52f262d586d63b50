"""Write docs/causes/<name>.md for every cause, from the cause's docstring.

    python scripts/gen_docs.py           # (re)write the pages
    python scripts/gen_docs.py --check   # exit 1 and list the pages that are stale, missing or orphaned

The pages are what `gradcheck explain NAME` prints (gradcheck.cause_docs.page),
plus docs/causes/README.md, the index by family. A test runs the check: after
adding a cause or editing a cause's docstring, run this script and commit.
"""
from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join("docs", "causes")


def expected() -> dict[str, str]:
    """{path relative to the repository: the text it must have}."""
    sys.path.insert(0, ROOT)
    from gradcheck import cause_docs
    from gradcheck.causes import all_causes

    pages = {os.path.join(OUT, f"{name}.md"): cause_docs.page(name, for_docs=True) for name in all_causes()}
    pages[os.path.join(OUT, "README.md")] = cause_docs.index()
    return pages


def problems(root: str = ROOT) -> list[str]:
    """What is out of date under ``root``: one sentence per page."""
    want = expected()
    out = []
    for rel, text in sorted(want.items()):
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            out.append(f"{rel} is missing")
        else:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    out.append(f"{rel} is stale (the docstring changed)")
    folder = os.path.join(root, OUT)
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            rel = os.path.join(OUT, name)
            if name.endswith(".md") and rel not in want:
                out.append(f"{rel} documents no registered cause (delete it)")
    return out


def write(root: str = ROOT) -> list[str]:
    """Write every page; remove orphans; return the paths that changed."""
    changed = []
    want = expected()
    os.makedirs(os.path.join(root, OUT), exist_ok=True)
    for rel, text in sorted(want.items()):
        path = os.path.join(root, rel)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            changed.append(rel)
    for name in sorted(os.listdir(os.path.join(root, OUT))):
        rel = os.path.join(OUT, name)
        if name.endswith(".md") and rel not in want:
            os.remove(os.path.join(root, rel))
            changed.append(rel + " (removed)")
    return changed


def refresh_readme(root: str = ROOT) -> bool:
    """Re-run the README's pasted ``gradcheck run`` and paste its output again; True if it changed."""
    import re

    from typer.testing import CliRunner

    from gradcheck.cli import app

    path = os.path.join(root, "README.md")
    with open(path, encoding="utf-8") as f:
        readme = f.read()
    pat = re.compile(r"(```text\n\$ gradcheck run (\S+)\n)(.*?)(\n\$ echo \$\?\n)(\d)(\n```)", flags=re.S)
    m = pat.search(readme)
    if not m:
        return False
    cwd = os.getcwd()
    os.chdir(root)
    try:
        r = CliRunner().invoke(app, ["run", m.group(2), "--color", "never"])
    finally:
        os.chdir(cwd)
    new = readme[:m.start()] + m.group(1) + r.stdout.rstrip() + m.group(4) + str(r.exit_code) + m.group(6) \
        + readme[m.end():]
    if new != readme:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return new != readme


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report stale pages; exit 1 if there are any")
    args = ap.parse_args(argv)
    if args.check:
        bad = problems()
        for p in bad:
            print(p)
        if bad:
            print("run `python scripts/gen_docs.py` and commit docs/causes/")
        return 1 if bad else 0
    changed = write()
    if refresh_readme():
        changed.append("README.md (the pasted run)")
    for p in changed:
        print(f"wrote {p}")
    print(f"{len(expected())} pages in {OUT}/, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
