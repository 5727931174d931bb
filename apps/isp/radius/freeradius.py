"""The FreeRADIUS configuration DotMac runs with: one self-contained directory (radiusd.conf and
an empty local dictionary) for Debian's `freeradius` 3.2, written by `manage.py radius_config`,
`make run` and the tests.

Why rlm_rest and not rlm_sql on our tables: the answer depends on the tenant (its schema, its
plan's `isp.radius`, its suspended-service policy), on the service's state and plan, and on the
subscriber's password and the NAS's secret, which are encrypted at rest with keys FreeRADIUS
does not hold. Asking DotMac keeps all of it in one place, tested like the rest of the code;
SQL queries in FreeRADIUS's config would copy billing's rules into a second language.

Clients are dynamic (FreeRADIUS's sites-available/dynamic-clients): an unknown source address
is looked up once through `/_radius/client` and cached for CLIENT_LIFETIME seconds, so a NAS
added or re-keyed in DotMac is served without a restart and no secret is written to disk.
"""

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

__all__ = [
    "CLIENT_LIFETIME",
    "FreeRadiusConfig",
    "command",
    "freeradius_binary",
    "started",
    "stopped",
    "write_config",
]

#: Seconds FreeRADIUS keeps a dynamic client before asking DotMac again.
CLIENT_LIFETIME = 60


def freeradius_binary() -> str | None:
    """Debian's `freeradius` (or upstream's `radiusd`), when installed."""
    for name in ("freeradius", "radiusd"):
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        if found:
            return found
    return None


@dataclass(frozen=True)
class FreeRadiusConfig:
    directory: Path
    api_url: str
    token: str
    address: str = "127.0.0.1"
    auth_port: int = 1812
    acct_port: int = 1813
    threads: int = 32
    #: rlm_rest's connections to DotMac (each a request in flight). As many as threads: a
    #: FreeRADIUS 3 thread that finds the pool full fails its request at once ("No connections
    #: available"), which a NAS sees as a reject or a lost accounting packet.
    connections: int = 32

    @classmethod
    def from_settings(cls, directory: Path, **overrides) -> "FreeRadiusConfig":
        values = {
            "directory": Path(directory),
            "api_url": settings.RADIUS_API_URL.rstrip("/"),
            "token": settings.RADIUS_API_TOKEN,
            "auth_port": settings.RADIUS_AUTH_PORT,
            "acct_port": settings.RADIUS_ACCT_PORT,
        }
        return cls(**{**values, **overrides})


def _quoted(value: str) -> str:
    """A value inside FreeRADIUS's double quotes (backslash and quote escaped; no `%{`
    expansion: the token is ours, but the rule is the rule)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")


# The acct_unique hash (FreeRADIUS's policy.d/accounting), with the packet's source address.
_SOURCE = "%{Packet-Src-IP-Address}%{Packet-Src-IPv6-Address}"
_UNIQUE = (
    f"%{{md5:{_SOURCE},%{{User-Name}},%{{Acct-Session-ID}},"
    "%{%{NAS-IPv6-Address}:-%{NAS-IP-Address}},%{NAS-Identifier},%{NAS-Port-ID},%{NAS-Port}}"
)

RADIUSD_CONF = """\
# Written by DotMac (apps/isp/radius/freeradius.py). Do not edit: regenerate it.
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = {directory}
sbindir = /usr/sbin
logdir = {directory}/log
raddbdir = {directory}
radacctdir = {directory}/acct
name = freeradius
confdir = {directory}
modconfdir = {directory}/mods-config
run_dir = {directory}/run
db_dir = {directory}
libdir = /usr/lib/freeradius
pidfile = {directory}/run/freeradius.pid
correct_escapes = true
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no

log {{
    destination = files
    file = {directory}/log/radius.log
    colourise = no
    auth = no
}}

security {{
    allow_core_dumps = no
    max_attributes = 200
    reject_delay = 0
    status_server = yes
}}

thread pool {{
    start_servers = {threads}
    max_servers = {threads}
    min_spare_servers = 4
    max_spare_servers = {threads}
    max_requests_per_server = 0
    auto_limit_acct = no
}}

# Every address may be a NAS; which ones are is DotMac's NAS registry (/_radius/client).
client everyone_v4 {{
    ipaddr = 0.0.0.0/0
    dynamic_clients = dotmac_clients
    lifetime = {lifetime}
}}
client everyone_v6 {{
    ipv6addr = ::/0
    dynamic_clients = dotmac_clients
    lifetime = {lifetime}
}}

modules {{
    rest dotmac {{
        connect_uri = "{api_url}/_radius"
        connect_timeout = 2.0
        authorize {{
            uri = "${{..connect_uri}}/authorize?nas=%{{client:shortname}}"
            method = "post"
            body = "json"
            auth = "basic"
            username = "freeradius"
            password = "{token}"
            timeout = 3.0
        }}
        accounting {{
            uri = "${{..connect_uri}}/accounting?nas=%{{client:shortname}}"
            method = "post"
            body = "json"
            auth = "basic"
            username = "freeradius"
            password = "{token}"
            # An Accounting-On closes every session of the NAS in one statement: 50,000 took
            # 1.9 s (benchmarks/radius.py). A NAS retries; a retry changes nothing.
            timeout = 10.0
        }}
        # Kept alive between calls, closed before gunicorn's keep-alive (5 s) would. DotMac
        # serves these calls from threaded workers (gthread): a sync worker is held by each
        # open connection, even an idle one, which rlm_rest's pool keeps.
        pool {{
            start = 0
            min = 0
            max = {connections}
            spare = 0
            uses = 0
            retry_delay = 1
            lifetime = 0
            idle_timeout = 4
        }}
    }}
    rest dotmac_clients {{
        connect_uri = "{api_url}/_radius"
        connect_timeout = 2.0
        authorize {{
            uri = "${{..connect_uri}}/client?address={source}"
            method = "get"
            auth = "basic"
            username = "freeradius"
            password = "{token}"
            timeout = 3.0
        }}
        pool {{
            start = 0
            min = 0
            max = 4
            spare = 0
            uses = 0
            retry_delay = 1
            lifetime = 0
            idle_timeout = 4
        }}
    }}
    pap {{
        normalise = yes
    }}
    chap {{
    }}
    mschap {{
    }}
    dynamic_clients {{
    }}
    # The md5 expansion and friends.
    expr {{
    }}
    always ok {{
        rcode = ok
    }}
    always reject {{
        rcode = reject
    }}
    always fail {{
        rcode = fail
    }}
}}

policy {{
    # After FreeRADIUS's policy.d/accounting acct_unique, with the packet's source address in
    # the hash: a NAS cannot name (and so update) another NAS's session.
    dotmac_acct_unique {{
        update request {{
            &Acct-Unique-Session-Id := "{unique}"
        }}
    }}
}}

server dotmac_clients {{
    authorize {{
        dotmac_clients
        if (!updated) {{
            fail
        }}
        dynamic_clients
        ok
    }}
}}

server dotmac {{
    listen {{
        type = auth
        ipaddr = {address}
        port = {auth_port}
    }}
    listen {{
        type = acct
        ipaddr = {address}
        port = {acct_port}
    }}
    authorize {{
        dotmac
        if (!updated && !ok) {{
            reject
        }}
        pap
        chap
        mschap
    }}
    authenticate {{
        Auth-Type PAP {{
            pap
        }}
        Auth-Type CHAP {{
            chap
        }}
        Auth-Type MS-CHAP {{
            mschap
        }}
    }}
    preacct {{
        dotmac_acct_unique
    }}
    accounting {{
        dotmac
    }}
}}
"""


def write_config(config: FreeRadiusConfig) -> Path:
    """Write the configuration directory; returns it (for `freeradius -d`)."""
    directory = config.directory
    for sub in ("log", "run", "acct", "mods-config"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    (directory / "dictionary").write_text("# Local attributes: none (FreeRADIUS's own apply).\n")
    conf = directory / "radiusd.conf"
    conf.write_text(
        RADIUSD_CONF.format(
            directory=directory,
            api_url=_quoted(config.api_url),
            token=_quoted(config.token),
            address=config.address,
            auth_port=config.auth_port,
            acct_port=config.acct_port,
            threads=config.threads,
            connections=config.connections,
            lifetime=CLIENT_LIFETIME,
            source=_SOURCE,
            unique=_UNIQUE,
        )
    )
    conf.chmod(0o600)  # it holds the API token
    return directory


def command(config: FreeRadiusConfig, binary: str) -> list[str]:
    """FreeRADIUS in the foreground on the generated configuration."""
    return [binary, "-f", "-d", str(config.directory), "-n", "radiusd", "-l", "stdout"]


def started(argv: list[str], log_path: Path, *, timeout: float = 20) -> subprocess.Popen:
    """FreeRADIUS in the foreground (`argv`, output to `log_path`), once it is ready to process
    requests; RuntimeError with its output if it exits or is not ready within `timeout`."""
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process, by stopped())
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log_path.read_text(errors="replace")
        if process.poll() is not None:
            log.close()
            raise RuntimeError(f"FreeRADIUS exited:\n{output[-5000:]}")
        if "Ready to process requests" in output:
            return process
        time.sleep(0.05)
    stopped(process)
    raise RuntimeError(f"FreeRADIUS did not come up:\n{output[-5000:]}")


def stopped(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log.close()
