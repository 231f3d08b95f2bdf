#!/usr/bin/env python3
"""Set-up and entry point for a fresh machine with only Python 3.11+ and pip.

    python3 run.py start   # create .venv if needed, install, start the embedded engine
    python3 run.py test    # create .venv if needed, install dev extras, lint, type-check, test

Anything after the command is passed on (`python3 run.py start --no-demo`,
`python3 run.py test -k ingest`)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def ensure_env(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py may be started by an older python3
        sys.exit(f"careerflow needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    # Reinstall only when the project's requirements changed since the last install.
    stamp = VENV / f".careerflow-installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    print(f"installing careerflow ({extras or 'runtime'}) into {VENV}", flush=True)
    subprocess.run([PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([PY, "-m", "pip", "install", "--quiet", "-e", target], check=True)
    stamp.write_text(digest)


CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def ensure_chromium() -> None:
    """The browser test drives Debian's Chromium (Playwright never downloads one): install
    it (and a CJK font, for the Chinese pages) when missing and this is root with apt-get;
    otherwise say why and go on (the browser test then skips locally, or fails in CI, with
    its reason)."""
    if CHROMIUM.exists() and CJK_FONT.exists():
        return
    apt = shutil.which("apt-get")
    if apt is None:
        print(f"{CHROMIUM} is missing and apt-get is not available: not installing it", flush=True)
        return
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        print(f"{CHROMIUM} is missing; not root, so not installing it", flush=True)
        print("  install it with: sudo apt-get install -y chromium", flush=True)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "--no-install-recommends", "chromium", "fonts-noto-cjk"]

    def attempt(args: list[str]) -> bool:
        print("$ " + " ".join(args), flush=True)
        try:
            done = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, check=False)
        except OSError as exc:
            print(f"could not run {args[0]}: {exc}", flush=True)
            return False
        return done.returncode == 0

    print("installing Debian's chromium and fonts-noto-cjk for the browser test", flush=True)
    # A fresh machine has no package lists yet: update, then try again.
    if not attempt(install) and not (attempt([apt, "update"]) and attempt(install)):
        print("could not install chromium or its fonts; the browser test will say so", flush=True)
        return
    if not CHROMIUM.exists():
        print(f"chromium was installed but {CHROMIUM} is still missing", flush=True)


def run(args: list[str | Path]) -> int:
    print("$ " + " ".join(str(a) for a in args), flush=True)
    return subprocess.run(args, cwd=ROOT).returncode


def main() -> int:
    command, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "start":
        ensure_env("")
        os.execv(BIN / "careerflow", [str(BIN / "careerflow"), "start", *rest])
    if command == "test":
        ensure_env("dev")
        ensure_chromium()
        for step in (
            [BIN / "ruff", "check", "--no-cache", "."],
            [BIN / "ruff", "format", "--no-cache", "--check", "."],
            [BIN / "mypy"],
            [BIN / "lint-imports", "--no-cache"],
        ):
            if code := run(step):
                return code
        return run([BIN / "pytest", *rest])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
