"""`donations serve` that cannot start says why in one line, and what to do, with exit code 2:
a port another process holds, a database folder it may not write in."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.cli import donations
from tests.support.servers import free_port


def test_a_busy_port_is_one_line_before_anything_is_served(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'donations.db'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = donations("serve", "--port", str(port), database_url=database_url)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: cannot listen on 127.0.0.1:{port}: the address is already in use (another "
        f"server, or an earlier `donations serve`); stop it or choose another --port\n"
    )
    # Refused before the database was touched.
    assert not (tmp_path / "donations.db").exists()


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """A folder nobody may write in: without write permission, and, for root (whom
    permissions do not stop), immutable as well."""
    folder.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable:
        chattr = shutil.which("chattr")
        if chattr is None:
            pytest.skip("running as root without chattr: no folder is read-only to root")
        made = subprocess.run([chattr, "+i", str(folder)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"running as root and chattr +i failed: {made.stderr.decode().strip()}")
    try:
        yield
    finally:
        if immutable:
            subprocess.run([chattr, "-i", str(folder)], check=True)
        folder.chmod(0o755)


@pytest.mark.parametrize("existing", [False, True], ids=["new database", "existing database"])
def test_a_read_only_database_folder_is_one_line_naming_the_folder(
    tmp_path: Path, existing: bool
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    database_url = f"sqlite:///{folder / 'donations.db'}"
    if existing:
        created = donations("db", "upgrade", database_url=database_url)
        assert created.returncode == 0, created.stderr
    with read_only(folder):
        result = donations("serve", "--port", str(free_port()), database_url=database_url)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: cannot open the database {database_url}: ")
    assert result.stderr.endswith(
        f"SQLite writes beside the database, and the folder {folder} is read-only for this "
        "user; make it writable, or set DATABASE_URL to a file in a writable folder\n"
    )
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_missing_database_folder_is_named() -> None:
    database_url = "sqlite:////nonexistent-folder/donations.db"
    advice = (
        "the folder /nonexistent-folder does not exist; create it, or set DATABASE_URL to a "
        "file in a folder that does\n"
    )
    served = donations("serve", "--port", str(free_port()), database_url=database_url)
    assert (served.returncode, served.stdout) == (2, "")
    assert served.stderr == f"error: cannot open the database {database_url}: {advice}"
    # Other commands say what the driver said, then the same.
    listed = donations("campaign", "list", database_url=database_url)
    assert (listed.returncode, listed.stdout) == (2, "")
    assert listed.stderr == (
        f"error: cannot open the database {database_url}: unable to open database file: {advice}"
    )
