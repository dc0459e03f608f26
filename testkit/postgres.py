"""A throwaway PostgreSQL server from the machine's initdb/pg_ctl, on a free loopback port.

initdb refuses to run as root, so as root both run as the `postgres` user in a directory it owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from testkit.net import free_port

HOW_TO_ENABLE = (
    "PostgreSQL tests need initdb and pg_ctl: install them with `apt-get install -y postgresql` "
    "(Debian puts them in /usr/lib/postgresql/<version>/bin; .ci/run does this)."
)


def find_bin_dir() -> Path | None:
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for directory in versions:
        if Path(directory, "initdb").exists() and Path(directory, "pg_ctl").exists():
            return Path(directory)
    return None


class PostgresServer:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="poalign-pg-"))
        self.data = self.root / "data"
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def start(self) -> PostgresServer:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "poalign", "-E", "UTF8", "--no-sync")
        self.resume()
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://poalign@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def halt(self) -> None:
        """Stop the server, keeping its data, until `resume` (an outage of the length the caller wants)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the server (after `initdb`, or again after `halt`) on its port, with the test options."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def restart(self) -> None:
        """Stop and start again on the same port (for reconnect tests). The log file is named again:
        without it the new server would inherit pg_ctl's output pipes and this call would never return."""
        self._run(
            "pg_ctl", "-D", str(self.data), "-m", "fast", "-l", str(self.root / "server.log"), "-w", "restart"
        )
