"""Check, before anything else, that this machine has the system packages Commonshare needs.

WeasyPrint (the documents) needs Pango with pangoft2 and HarfBuzz's subsetter, and the documents
use the DejaVu fonts; the browser tests also need Debian's chromium. Missing packages are
installed with apt-get when this runs as root, or with sudo when sudo needs no password;
otherwise it stops with one line naming the packages and the command that installs them.

Runs on the system Python before the virtualenv exists, so it uses only the standard library.

Usage: python3 tools/system_packages.py [--browser]
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Need:
    package: str  # Debian's package name
    library: str = ""  # a shared library that ldconfig must know
    path: str = ""  # or a file or folder that must exist

    def present(self, libraries: str, root: Path) -> bool:
        if self.library:
            return self.library in libraries
        return (root / self.path.lstrip("/")).exists()


DOCUMENTS = (
    Need("libpango-1.0-0", library="libpango-1.0.so"),
    Need("libpangoft2-1.0-0", library="libpangoft2-1.0.so"),
    Need("libharfbuzz-subset0", library="libharfbuzz-subset.so"),
    Need("fonts-dejavu-core", path="/usr/share/fonts/truetype/dejavu"),
)
BROWSER = (Need("chromium", path="/usr/bin/chromium"),)


def known_libraries(ldconfig: str | None = None) -> str:
    """What `ldconfig -p` lists (ldconfig is in /sbin, often not on an ordinary user's PATH)."""
    command = ldconfig or shutil.which("ldconfig", path=f"{os.environ.get('PATH', '')}:/sbin:/usr/sbin")
    if not command:
        return ""
    try:
        return subprocess.run([command, "-p"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return ""


def missing(needs: Sequence[Need], *, ldconfig: str | None = None, root: Path = Path("/")) -> list[str]:
    libraries = known_libraries(ldconfig) if any(need.library for need in needs) else ""
    return [need.package for need in needs if not need.present(libraries, root)]


def install_command(
    packages: Sequence[str], *, euid: int, sudo_works: Callable[[], bool]
) -> list[str] | None:
    """The command that installs `packages` here without asking anyone, or None."""
    apt = ["apt-get", "install", "-y", "-q", *packages]
    if euid == 0:
        return apt
    if shutil.which("sudo") and sudo_works():
        return ["sudo", *apt]
    return None


def _sudo_without_password() -> bool:
    return subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0


def _run(command: list[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    update = [*command[: command.index("apt-get")], "apt-get", "update", "-q"]
    try:
        return (
            subprocess.run(update, env=env, check=False).returncode == 0
            and subprocess.run(command, env=env, check=False).returncode == 0
        )
    except OSError:
        return False


def ensure(
    needs: Sequence[Need],
    *,
    ldconfig: str | None = None,
    root: Path = Path("/"),
    euid: int | None = None,
    sudo_works: Callable[[], bool] = _sudo_without_password,
    run: Callable[[list[str]], bool] = _run,
    out=sys.stderr,
) -> int:
    """0 when every package is (now) present; 1, after one line saying what to do, otherwise."""
    absent = missing(needs, ldconfig=ldconfig, root=root)
    if not absent:
        return 0
    names = " ".join(absent)
    command = install_command(absent, euid=os.geteuid() if euid is None else euid, sudo_works=sudo_works)
    if command is not None:
        print(f"Installing the system packages Commonshare needs: {names}", file=out)
        if run(command) and not missing(needs, ldconfig=ldconfig, root=root):
            return 0
    print(
        f"Commonshare needs these system packages, which are missing: {names}. "
        f"Install them with: sudo apt-get install {names}",
        file=out,
    )
    return 1


def main(argv: Sequence[str] = ()) -> int:
    needs = DOCUMENTS + (BROWSER if "--browser" in argv else ())
    return ensure(needs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
