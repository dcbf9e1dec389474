#!/usr/bin/env python3
"""The project's commands for developers and CI, needing nothing but Python.

    python3 dev.py demo [ARGS]   load the demo data and serve it
    python3 dev.py test [ARGS]   run the test suite (pytest ARGS)
    python3 dev.py lint          ruff and mypy

Each command first makes ``.venv`` and installs the project into it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_environment(extras: str) -> None:
    """Create the virtual environment and install the project with ``extras``."""
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    marker = VENV / f".installed-{extras or 'base'}"
    stamp = (ROOT / "pyproject.toml").stat().st_mtime_ns
    if marker.exists() and marker.read_text() == str(stamp):
        return
    target = f".[{extras}]" if extras else "."
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "-e", target], check=True, cwd=ROOT)
    marker.write_text(str(stamp))


def run(*command: str) -> int:
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "lint"}:
        print(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    if command == "demo":
        ensure_environment("")
        return run("engagement", "demo", *args)
    ensure_environment("dev")
    if command == "test":
        return run("pytest", *args)
    return (
        run("ruff", "check", ".")
        or run("ruff", "format", "--check", ".")
        or run("mypy")
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
