"""The set-up check run by `make run`, `make test` and CI, against a fake ldconfig and a fake
filesystem root, so that it cannot rot on a machine that happens to have everything."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import system_packages as sp

ROOT = Path(__file__).resolve().parents[2]
EVERY_LIBRARY = "\n".join(
    f"\t{name}.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/{name}.0"
    for name in ("libpango-1.0.so", "libpangoft2-1.0.so", "libharfbuzz-subset.so", "libc.so")
)


def fake_ldconfig(tmp_path: Path, listing: str) -> str:
    script = tmp_path / "ldconfig"
    (tmp_path / "listing.txt").write_text(listing)
    script.write_text(f"#!/bin/sh\n[ \"$1\" = -p ] && cat '{tmp_path / 'listing.txt'}'\n")
    script.chmod(0o755)
    return str(script)


def fake_root(tmp_path: Path, *, fonts=True, chromium=True) -> Path:
    root = tmp_path / "root"
    if fonts:
        (root / "usr/share/fonts/truetype/dejavu").mkdir(parents=True)
    if chromium:
        (root / "usr/bin").mkdir(parents=True)
        (root / "usr/bin/chromium").write_text("")
    return root


def test_nothing_missing_means_nothing_runs(tmp_path):
    ran = []
    status = sp.ensure(
        sp.DOCUMENTS + sp.BROWSER,
        ldconfig=fake_ldconfig(tmp_path, EVERY_LIBRARY),
        root=fake_root(tmp_path),
        euid=0,
        run=ran.append,
    )
    assert status == 0 and ran == []


def test_missing_libraries_and_fonts_are_named_by_their_debian_packages(tmp_path):
    listing = "\n".join(line for line in EVERY_LIBRARY.splitlines() if "harfbuzz" not in line)
    absent = sp.missing(
        sp.DOCUMENTS + sp.BROWSER,
        ldconfig=fake_ldconfig(tmp_path, listing),
        root=fake_root(tmp_path, fonts=False, chromium=False),
    )
    assert absent == ["libharfbuzz-subset0", "fonts-dejavu-core", "chromium"]


def test_chromium_is_only_needed_for_the_tests(tmp_path):
    ldconfig = fake_ldconfig(tmp_path, EVERY_LIBRARY)
    root = fake_root(tmp_path, chromium=False)
    assert sp.missing(sp.DOCUMENTS, ldconfig=ldconfig, root=root) == []
    assert sp.missing(sp.DOCUMENTS + sp.BROWSER, ldconfig=ldconfig, root=root) == ["chromium"]


def test_as_root_the_missing_packages_are_installed_with_apt_get(tmp_path):
    root = fake_root(tmp_path, fonts=False)
    ran = []

    def install(command):  # what apt-get would do: the fonts appear
        ran.append(command)
        (root / "usr/share/fonts/truetype/dejavu").mkdir(parents=True)
        return True

    out = io.StringIO()
    status = sp.ensure(
        sp.DOCUMENTS, ldconfig=fake_ldconfig(tmp_path, EVERY_LIBRARY), root=root, euid=0, run=install, out=out
    )
    assert status == 0
    assert ran == [["apt-get", "install", "-y", "-q", "fonts-dejavu-core"]]


def test_with_passwordless_sudo_apt_get_runs_under_sudo(tmp_path, monkeypatch):
    monkeypatch.setattr(sp.shutil, "which", lambda name, **kw: f"/usr/bin/{name}")
    command = sp.install_command(["chromium"], euid=1000, sudo_works=lambda: True)
    assert command == ["sudo", "apt-get", "install", "-y", "-q", "chromium"]
    assert sp.install_command(["chromium"], euid=1000, sudo_works=lambda: False) is None


def test_an_ordinary_user_gets_one_line_naming_the_packages_and_the_command(tmp_path):
    out = io.StringIO()
    ran = []
    status = sp.ensure(
        sp.DOCUMENTS,
        ldconfig=fake_ldconfig(tmp_path, "\t1 libs found in cache\n"),
        root=fake_root(tmp_path),
        euid=1000,
        sudo_works=lambda: False,
        run=ran.append,
        out=out,
    )
    assert status == 1 and ran == []
    lines = out.getvalue().splitlines()
    assert lines == [
        "Commonshare needs these system packages, which are missing: libpango-1.0-0 libpangoft2-1.0-0 "
        "libharfbuzz-subset0. Install them with: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
        "libharfbuzz-subset0"
    ]


def test_a_failed_install_ends_with_the_same_one_line(tmp_path):
    out = io.StringIO()
    status = sp.ensure(
        sp.DOCUMENTS,
        ldconfig=fake_ldconfig(tmp_path, EVERY_LIBRARY),
        root=fake_root(tmp_path, fonts=False),
        euid=0,
        run=lambda command: False,
        out=out,
    )
    assert status == 1
    last = out.getvalue().splitlines()[-1]
    assert last.endswith("Install them with: sudo apt-get install fonts-dejavu-core")


@pytest.mark.parametrize("target", ["run", "test"])
def test_make_checks_the_packages_before_anything_else(target):
    # As a person types it: not inside another make (as under CI), whose directory notes would come first.
    alone = {
        key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    }
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=ROOT,
        env=alone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "tools/system_packages.py" in dry_run[0]
    assert ("--browser" in dry_run[0]) == (target == "test")


def test_ci_uses_the_same_check():
    ci = (ROOT / ".ci/run").read_text()
    assert "tools/system_packages.py --browser" in ci
    assert "libpango" not in ci


def test_the_check_runs_on_the_system_python_without_the_project():
    result = subprocess.run(
        [sys.executable, "-I", str(ROOT / "tools/system_packages.py")], capture_output=True, text=True
    )
    assert "Traceback" not in result.stderr
