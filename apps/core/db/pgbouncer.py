"""A local pgbouncer in transaction mode (Debian's package), for `make run` and the tests.

`make run` puts one in front of PostgreSQL when the binary is installed, the way production
pools connections (docker/compose.yaml): its web server and workers then connect through it with
DATABASE_POOLER=pgbouncer, while migrations and the demo load connect to PostgreSQL directly.
tests/core/test_pgbouncer.py starts its own with fewer server connections than clients.
"""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["binary", "start", "target_of"]


def binary() -> str | None:
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None


def target_of(settings_dict: dict) -> tuple[str, int, str, str, str]:
    """(host, port, database, user, password) of a Django database settings dict; the host is
    a socket directory on the embedded path (pgserver's URL names it as an option)."""
    host = (settings_dict.get("OPTIONS") or {}).get("host") or settings_dict.get("HOST")
    return (
        host or "127.0.0.1",
        int(settings_dict.get("PORT") or 5432),
        settings_dict["NAME"],
        settings_dict.get("USER") or "postgres",
        settings_dict.get("PASSWORD") or "",
    )


def start(
    directory: Path, port: int, databases: dict[str, str], target: tuple, pool_size: int = 10
) -> subprocess.Popen:
    """Write the configuration into `directory` and start pgbouncer on 127.0.0.1:`port`,
    serving each of `databases` (name → extra options such as "pool_size=1") from `target`
    (target_of). Returns once it accepts connections; raises RuntimeError with its log
    (pgbouncer.log in `directory`) if it cannot start. As root it runs as `nobody`
    (pgbouncer refuses root)."""
    host, server_port, database, user, password = target
    server = f"host={host} port={server_port} dbname={database} user={user}"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "userlist.txt").write_text(f'"{user}" "{password}"\n')
    (directory / "userlist.txt").chmod(0o600)
    listed = "\n".join(f"{name} = {server} {extra}".rstrip() for name, extra in databases.items())
    # Only 127.0.0.1 listens, so trust is the server's own rule: the client's user is taken as
    # given and pgbouncer logs in to PostgreSQL with the password of userlist.txt.
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
{listed}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "userlist.txt"}
pool_mode = transaction
max_client_conn = 200
default_pool_size = {pool_size}
ignore_startup_parameters = extra_float_digits,options
server_check_delay = 0
"""
    )
    command = [binary() or "pgbouncer", str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in (directory, directory / "pgbouncer.ini", directory / "userlist.txt"):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        command[1:1] = ["-u", "nobody"]
    log = directory / "pgbouncer.log"
    with log.open("ab") as output:  # not a pipe: nobody would read it while it runs
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return process
        if process.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(Exception):
                process.kill()
            raise RuntimeError(f"pgbouncer did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
