"""Monitored devices for the monitoring tests (inside a tenant's schema): a device with its
management IP registered in IPAM and its monitor, CPEs serving services, network namespaces."""

import contextlib
import itertools
import shutil
import subprocess
import uuid

import pytest

from apps.isp.models import Device, IPAddress, Monitor, MonitoringSettings
from apps.isp.services.inventory import device_create
from apps.isp.services.monitoring import monitor_create

_numbers = itertools.count(1)


def loopback(n: int | None = None) -> str:
    """A loopback address of its own (127.0.0.0/8 answers on Linux)."""
    n = next(_numbers) if n is None else n
    return f"127.{100 + n // 65536 % 100}.{n // 256 % 256}.{n % 256 or 1}"


def monitored_device(address: str | None = None, *, monitor: dict | None = None, **fields):
    """A device (a router unless `role`) at `address`, registered in IPAM, and probed."""
    n = next(_numbers)
    ip = IPAddress.objects.create(address=address or loopback(n), status="reserved")
    fields.setdefault("name", f"{fields.get('role', 'router')}-{n}")
    fields.setdefault("role", Device.Role.ROUTER)
    device = device_create(management_ip=ip, **fields)
    monitor_create(device=device, **(monitor or {}))
    return device


def settings_set(**fields) -> MonitoringSettings:
    config = MonitoringSettings.objects.get_or_create(pk=1)[0]
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()
    return config


def state_of(device: Device) -> str:
    return Monitor.objects.get(device=device).state


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class Namespace:
    """A network namespace of the test's own, joined to this one by a veth pair: the host end
    is 10.251.<n>.1/29, the namespace's `.2` to `.6`; `link(False)` takes the namespace's end
    down (its addresses stop answering), `link(True)` brings it back. Removed on exit."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.name, self.host_end, self.inner_end = f"dm-{tag}", f"dmh{tag}", f"dmn{tag}"
        self.subnet = int(tag[:2], 16)
        self.network = f"10.251.{self.subnet}.0/29"

    def address(self, host: int) -> str:
        return f"10.251.{self.subnet}.{host}"

    def __enter__(self):
        if shutil.which("ip") is None:
            pytest.skip("iproute2 (`ip`) is not installed: no network namespace test")
        try:
            _ip("netns", "add", self.name)
        except (subprocess.CalledProcessError, OSError) as error:
            pytest.skip(f"`ip netns add` is not permitted here ({error}): run as root")
        try:
            _ip("link", "add", self.host_end, "type", "veth", "peer", "name", self.inner_end)
            _ip("link", "set", self.inner_end, "netns", self.name)
            _ip("addr", "add", f"{self.address(1)}/29", "dev", self.host_end)
            _ip("link", "set", self.host_end, "up")
            for host in range(2, 7):
                self.inside("addr", "add", f"{self.address(host)}/29", "dev", self.inner_end)
            self.inside("link", "set", "lo", "up")
            self.link(True)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def inside(self, *args: str) -> None:
        _ip("netns", "exec", self.name, "ip", *args)

    def link(self, up: bool) -> None:
        self.inside("link", "set", self.inner_end, "up" if up else "down")

    def __exit__(self, *exc):
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            _ip("link", "del", self.host_end)
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            _ip("netns", "del", self.name)
