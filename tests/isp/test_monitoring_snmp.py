"""Monitoring's optional SNMP read against a real agent: Debian's net-snmp `snmpd`, started by
the test on 127.0.0.1 and a free high port with a configuration of its own (a random v2c
community, no system configuration read). The uptime and the summed interface counters are
read onto the probe result; a wrong community is a recorded SNMP failure while ICMP keeps the
device up; a restarted agent (its uptime reset) is one reboot event; an address outside the
probe fence is never sent a packet. Plus the API (the community written, never answered back,
encrypted at rest) and the device page."""

import contextlib
import os
import secrets
import socket
import subprocess
import time
from decimal import Decimal

import pytest
from django.db import connection

from apps.isp.models import Monitor, MonitorEvent, ProbeResult
from apps.isp.services import monitoring, probes
from tests.isp.coa_data import move_isp_to
from tests.isp.monitoring_data import monitored_device, settings_set

pytestmark = pytest.mark.django_db
SNMPD = "/usr/sbin/snmpd"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Agent:
    """An snmpd of the test's own: `-f` in the foreground, `-Lo` logging to its output, `-C`
    and `-c` reading only the configuration written here (`-I -smux`: no SMUX listener on TCP
    199, which another agent may hold). `restart()` stops it and starts it again (uptime 0)."""

    def __init__(self, directory, community: str):
        self.port, self.community = free_udp_port(), community
        self.directory = directory
        self.config = directory / "agent.conf"
        self.config.write_text(
            f"agentaddress udp:127.0.0.1:{self.port}\nrocommunity {community} 127.0.0.1\n"
        )
        (directory / "persist").mkdir()
        self.process = None

    def start(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MIBS": "",
               "SNMP_PERSISTENT_DIR": str(self.directory / "persist")}  # fmt: skip
        log = (self.directory / "snmpd.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary, our own arguments
            [SNMPD, "-f", "-Lo", "-C", "-I", "-smux", "-c", str(self.config)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.read().ok:
                return self
            assert self.process.poll() is None, (self.directory / "snmpd.log").read_text()[-2000:]
            time.sleep(0.1)
        raise AssertionError("snmpd did not answer within 15 s")

    def read(self, community: str | None = None) -> probes.SnmpReading:
        target = ("127.0.0.1", self.port, community or self.community)
        return probes.snmp_read({"agent": target}, timeout_ms=300)["agent"]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def restart(self):
        self.stop()
        return self.start()


@pytest.fixture
def agent(tmp_path):
    if not os.access(SNMPD, os.X_OK):
        pytest.skip(f"{SNMPD} is not installed (Debian's snmpd package): no SNMP agent to read")
    running = Agent(tmp_path, secrets.token_hex(8))
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
def pro(in_tenant_a, django_capture_on_commit_callbacks):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)
    settings_set(failures_before_down=1, timeout_ms=300)


def snmp_device(agent, *, community=None):
    return monitored_device(
        "127.0.0.1",
        monitor={"snmp_enabled": True, "snmp_port": agent.port,
                 "snmp_community": community or agent.community},
    )  # fmt: skip


def probe(device) -> ProbeResult:
    monitoring.batch_probe(round_id=None, first_pk=device.monitor.pk, last_pk=device.monitor.pk)
    return ProbeResult.objects.filter(monitor=device.monitor).order_by("-id").first()


def reboots(device) -> int:
    return MonitorEvent.objects.filter(monitor=device.monitor, kind="reboot").count()


# --- The read itself -----------------------------------------------------------------------------


def test_the_agents_uptime_and_summed_interface_counters_are_read(agent):
    first = agent.read()
    time.sleep(0.3)
    second = agent.read()

    assert first.ok
    assert first.error == ""
    assert 0 <= first.uptime < 60 * 100  # hundredths of a second since the agent started
    assert second.uptime > first.uptime
    # Loopback at least: its counters are ifHCInOctets / ifHCOutOctets summed, and grow.
    assert first.in_octets is not None
    assert first.out_octets is not None
    assert second.in_octets >= first.in_octets > 0


def test_a_wrong_community_gets_no_answer_and_says_so(agent):
    reading = agent.read("not-" + agent.community)

    assert reading.ok is False
    assert reading.uptime is None
    assert reading.in_octets is None
    assert "timeout" in reading.error.lower()


# --- Through the probe round ---------------------------------------------------------------------


def test_a_probe_round_keeps_the_snmp_read_on_the_probe_result(agent, pro):
    device = snmp_device(agent)

    result = probe(device)

    assert result.ok is True
    assert result.snmp_ok is True
    assert result.snmp_error == ""
    assert result.snmp_uptime > 0
    assert isinstance(result.snmp_in_octets, Decimal)
    assert result.snmp_in_octets > 0
    assert result.snmp_out_octets > 0
    monitor = Monitor.objects.get(pk=device.monitor.pk)
    assert monitor.last_snmp_uptime == result.snmp_uptime
    assert monitor.last_snmp_at == result.at
    assert reboots(device) == 0


def test_a_wrong_community_is_an_snmp_failure_and_the_device_stays_up_by_icmp(agent, pro):
    device = snmp_device(agent, community="wrong-" + agent.community)

    result = probe(device)

    assert result.ok is True  # ICMP answered
    assert result.snmp_ok is False
    assert result.snmp_error
    assert result.snmp_uptime is None
    assert result.snmp_in_octets is None
    monitor = Monitor.objects.get(pk=device.monitor.pk)
    assert monitor.state == Monitor.State.UP
    assert monitor.last_snmp_uptime is None
    assert reboots(device) == 0


def test_a_monitor_without_snmp_is_not_read(agent, pro):
    device = monitored_device("127.0.0.1")

    result = probe(device)

    assert result.ok is True
    assert result.snmp_ok is None
    assert result.snmp_uptime is None


def test_a_restarted_agent_is_one_reboot_event(agent, pro):
    device = snmp_device(agent)
    probe(device)
    time.sleep(1.2)  # the uptime before the restart is well above the one after it
    before = probe(device)

    agent.restart()
    after = probe(device)
    again = probe(device)

    assert after.snmp_uptime < before.snmp_uptime
    assert again.snmp_uptime >= after.snmp_uptime
    events = list(MonitorEvent.objects.filter(monitor=device.monitor, kind="reboot"))
    assert len(events) == 1
    assert events[0].state == Monitor.State.UP
    assert events[0].at == after.at
    assert events[0].message.startswith("Rebooted: SNMP uptime")
    assert Monitor.objects.get(pk=device.monitor.pk).state == Monitor.State.UP


def test_an_snmp_read_that_fails_between_keeps_the_last_uptime_for_the_reboot(agent, pro):
    device = snmp_device(agent)
    probe(device)
    time.sleep(1.2)
    before = probe(device)
    agent.stop()

    missed = probe(device)
    agent.start()
    after = probe(device)

    assert missed.snmp_ok is False
    assert missed.ok is True
    assert after.snmp_ok is True
    assert after.snmp_uptime < before.snmp_uptime
    assert reboots(device) == 1


def test_a_wrapped_uptime_counter_is_not_a_reboot(pro):
    now = monitoring.timezone.now()
    reading = probes.SnmpReading("127.0.0.1", True, uptime=50)
    day_ago = now - monitoring.datetime.timedelta(days=1)

    assert monitoring._rebooted(2**32 - 100, day_ago, reading, now) is False
    assert monitoring._rebooted(10_000, day_ago, reading, now) is True
    assert monitoring._rebooted(None, None, reading, now) is False


# --- The fence -----------------------------------------------------------------------------------


@contextlib.contextmanager
def listener(address: str, port: int):
    """A UDP socket at address:port, to see whether anything was sent there."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, port))
        sock.setblocking(False)

        def received() -> int:
            count = 0
            with contextlib.suppress(BlockingIOError):
                while sock.recv(65535):
                    count += 1
            return count

        yield received


def test_an_address_outside_the_fence_is_never_queried(agent, pro, settings):
    port = free_udp_port()
    outside = monitored_device(
        "127.0.0.2",
        monitor={"snmp_enabled": True, "snmp_port": port, "snmp_community": agent.community},
    )
    with listener("127.0.0.2", port) as received:
        # Inside the fence, the read is sent (the listener sees it; nothing answers).
        assert probes.snmp_read({1: ("127.0.0.2", port, "x")}, timeout_ms=100)[1].ok is False
        assert received() >= 1

        settings.MONITORING_PROBE_NETWORKS = ["127.0.0.1/32"]
        direct = probes.snmp_read({1: ("127.0.0.2", port, "x")}, timeout_ms=100)
        probed = monitoring.batch_probe(
            round_id=None, first_pk=outside.monitor.pk, last_pk=outside.monitor.pk
        )
        time.sleep(0.2)

        assert direct == {}
        assert probed == 0
        assert received() == 0
    assert not ProbeResult.objects.filter(monitor=outside.monitor).exists()


# --- Settings, API, page -------------------------------------------------------------------------


def test_snmp_needs_a_printable_community(pro):
    with pytest.raises(monitoring.ValidationError) as missing:
        monitored_device(monitor={"snmp_enabled": True})
    with pytest.raises(monitoring.ValidationError) as unprintable:
        monitored_device(monitor={"snmp_enabled": True, "snmp_community": "bad\nvalue"})

    assert "snmp_community" in missing.value.message_dict
    assert "snmp_community" in unprintable.value.message_dict
    assert Monitor.objects.filter(snmp_enabled=True).count() == 0


@pytest.fixture
def on_pro(db, django_capture_on_commit_callbacks):
    move_isp_to("tenant-a", "pro", django_capture_on_commit_callbacks)


def test_the_api_takes_the_community_never_answers_it_and_stores_it_encrypted(
    api_a, on_pro, in_tenant_a
):
    device = monitored_device()
    path = f"/api/v1/isp/monitors/{device.monitor.pk}/"

    refused = api_a.patch(path, {"snmp_enabled": True}, content_type="application/json")
    answer = api_a.patch(path, {"snmp_enabled": True, "snmp_community": "s3cret-c0mm",
                                "snmp_port": 1161}, content_type="application/json")  # fmt: skip

    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["details"][0]["field"] == "snmp_community"
    assert answer.status_code == 200, answer.content
    attributes = answer.json()["data"]["attributes"]
    assert attributes["snmp_enabled"] is True
    assert attributes["snmp_port"] == 1161
    assert "snmp_community" not in attributes
    assert attributes["last_snmp_uptime"] is None
    assert b"s3cret-c0mm" not in answer.content
    assert Monitor.objects.get(pk=device.monitor.pk).snmp_community == "s3cret-c0mm"
    with connection.cursor() as cursor:
        cursor.execute("SELECT snmp_community FROM isp_monitor WHERE id = %s", [device.monitor.pk])
        stored = cursor.fetchone()[0]
    assert stored
    assert "s3cret-c0mm" not in stored


def test_the_probe_results_api_and_device_page_show_the_latest_snmp_read(
    api_a, client_a, on_pro, in_tenant_a
):
    device = monitored_device(monitor={"snmp_enabled": True, "snmp_community": "c"})
    now = monitoring.timezone.now()
    ProbeResult.objects.create(monitor=device.monitor, at=now, ok=True, latency_ms=0.1,
                               loss_percent=0, snmp_ok=True, snmp_uptime=123456,
                               snmp_in_octets=987654321, snmp_out_octets=12345)  # fmt: skip
    MonitorEvent.objects.create(monitor=device.monitor, at=now, kind="reboot", state="up",
                                message="Rebooted: SNMP uptime 0:00:01, was 1:00:00")  # fmt: skip

    listed = api_a.get(f"/api/v1/isp/probe-results/?monitor={device.monitor.pk}")
    events = api_a.get(f"/api/v1/isp/monitor-events/?monitor={device.monitor.pk}")
    page = client_a.sign_in().get(f"/isp/network/devices/{device.pk}/")

    row = listed.json()["data"][0]["attributes"]
    assert row["snmp_ok"] is True
    assert row["snmp_uptime"] == 123456
    assert str(row["snmp_in_octets"]) == "987654321"
    assert events.json()["data"][0]["attributes"]["kind"] == "reboot"
    body = page.content.decode()
    assert 'id="monitor-snmp"' in body
    assert "uptime 123456" in body
    assert "octets in 987654321, out 12345" in body
    assert "Rebooted</span>" in body
