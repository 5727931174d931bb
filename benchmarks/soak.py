"""Soak: mixed traffic at 70 % of the measured maximum for 10 minutes; errors, latency, memory.

    python benchmarks/soak.py [--duration 600] [--max-seconds 24] [--fraction 0.7 | --rate R]
                              [--customers 3000] [--database dotmac_bench_soak] [--json PATH]

1. The stack on 127.0.0.1: gunicorn with the production config (`-c python:dotmac.gunicorn_conf`,
   as `make run` starts it but without --reload), a Celery worker (prefork, concurrency 2, as
   `make run`) and Celery beat, on DATABASE_URL / REDIS_URL (or the launcher's local ones), a
   database of its own (--database: reset, migrated, dropped at the end unless --keep) and a
   Celery queue of its own (CELERY_TASK_DEFAULT_QUEUE=soak-<pid>).
2. One tenant licensed for ISP and CRM (Enterprise plans: no customer cap) with --customers
   customers holding an active monthly service, their billing days spread over 28 days, and a
   CRM (accounts, contacts, leads, activities); several staff users (super admins).
3. The maximum: a closed loop of the mixed workload at rising concurrency for --max-seconds; the
   best operations/s of a step without errors is the maximum.
4. The soak: an open loop (operations sent at a fixed rate, latency counted from when each was
   due, so a stalled server is not hidden by coordinated omission) at --fraction of the maximum
   for --duration seconds, after --warmup seconds at that rate. Meanwhile, every
   --billing-every seconds, a billing run is POSTed (as_of one day later each time, so each run
   invoices the services whose next period has come) and polled until the worker finishes it.
5. The RSS of every process (gunicorn master and workers, the Celery worker and its pool, beat,
   Redis, the PostgreSQL backends of the database) after the warm-up, every minute and at the
   end.

The mix (weights of --mix): API reads (lists with page_size 25 and details, ISP and CRM), API
writes (create and update customers, leads, activities; each must answer 2xx), staff pages with
a session signed in through the login form, and logins (token obtain, and the login form with
its CSRF token). Every process gets benchlib.app_env: API_RATE_PER_MINUTE and
LOGIN_RATE_PER_MINUTE raised out of reach (printed), throttles still counting in Redis.

An error is any answer outside 2xx/3xx (2xx only for writes and logins), a failed billing run,
a run not finished within --billing-timeout, or an exception. Goal: 0 errors, and no process
grows by more than --rss-limit-mb MB and --rss-limit-pct % after the warm-up. Prints the
report; writes it as JSON to --json (benchmarks/results/soak.json).
"""

import argparse
import contextlib
import datetime
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import PASSWORD, log  # noqa: E402

DATABASE = "dotmac_bench_soak"
SLUG = "soak"
HOST = "soak.localhost"
USERS = ("soak1", "soak2", "soak3", "soak4")
DEFAULT_MIX = "api_read=55,api_write=15,page=25,login=1"
CONCURRENCY_STEPS = (2, 4, 8, 16)
STAFF_PAGES = (
    "/isp/",
    "/isp/customers/",
    "/isp/invoices/",
    "/isp/billing-runs/",
    "/crm/",
    "/crm/leads/",
    "/crm/accounts/",
    "/crm/pipeline/",
    "/crm/tasks/",
)
SPREAD_DAYS = 28


# === Inside Django (a subprocess with the benchmark's environment) =============================


def populate(customers: int) -> dict:
    """The tenant, its users, ISP customers and services (bulk-loaded: set-up, not measured),
    and a CRM through its services. Returns the ids the load generator picks from."""
    os.chdir(benchlib.BASE_DIR)
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from apps.crm.models import Account, Contact, Lead
    from apps.crm.services import leads, records, setup
    from apps.identity.services import user_create
    from apps.isp.models import Customer, DocumentSequence, Service, ServicePlan, TaxClass
    from apps.platform.licensing.models import Subscription
    from apps.platform.licensing.services import (
        plan_resolve,
        subscription_activate,
        subscription_change_plan,
    )
    from apps.platform.tenants.services import public_tenant_ensure, tenant_create_now

    public_tenant_ensure()
    tenant = tenant_create_now(
        name="Soak",
        slug=SLUG,
        admin_username=USERS[0],
        admin_email="soak1@example.com",
        admin_password=PASSWORD,
        apps=["isp", "crm"],
    )
    for subscription in tenant.subscriptions.select_related("app"):
        enterprise = plan_resolve(app_key=subscription.app.key, plan_key="enterprise")
        subscription_change_plan(subscription=subscription, plan=enterprise, actor="soak")
        subscription.refresh_from_db()
        if subscription.status == Subscription.Status.TRIAL:
            subscription_activate(subscription=subscription, actor="soak")
    rng = random.Random("dotmac-soak")
    today = timezone.localdate()
    with schema_context(tenant.schema_name):
        users = [
            user_create(
                username=name,
                email=f"{name}@example.com",
                password=PASSWORD,
                first_name="Soak",
                last_name=name,
                is_superuser=True,
            )
            for name in USERS[1:]
        ]
        with transaction.atomic():
            plan = ServicePlan.objects.create(
                code="soak-fiber-300",
                name="Fiber 300",
                download_mbps=300,
                upload_mbps=50,
                price="44.99",
                setup_fee="0.00",
                billing_period="monthly",
                tax_class=TaxClass.objects.get(is_default=True),
            )
            # The next period of customer n starts n % 28 days from today: each billing run
            # (as_of one day later than the last) has some to invoice.
            starts = [today + datetime.timedelta(days=n % SPREAD_DAYS) for n in range(customers)]
            made = Customer.objects.bulk_create(
                [
                    Customer(
                        account_number=f"C{n + 1:06d}",
                        name=f"Subscriber {n + 1}",
                        email=f"subscriber{n + 1}@example.com",
                        status="active",
                        billing_day=min(start.day, 28),
                        service_city="Springfield",
                    )
                    for n, start in enumerate(starts)
                ],
                batch_size=5000,
            )
            DocumentSequence.objects.update_or_create(
                key="customer", defaults={"next_number": customers + 1}
            )
            Service.objects.bulk_create(
                [
                    Service(
                        customer_id=customer.pk,
                        plan=plan,
                        status="active",
                        activated_on=today - datetime.timedelta(days=60),
                        billed_until=start - datetime.timedelta(days=1),
                    )
                    for customer, start in zip(made, starts, strict=True)
                ],
                batch_size=5000,
            )
        setup.crm_defaults_ensure()
        owners = users
        with transaction.atomic():
            accounts = [
                records.account_create(
                    owner=owners[n % len(owners)],
                    name=f"Account {n} Ltd",
                    domain=f"account{n}.example",
                    industry=rng.choice(("Retail", "Logistics")),
                    city="Springfield",
                    country="GB",
                )
                for n in range(max(20, customers // 15))
            ]
            for n, account in enumerate(accounts * 2):
                records.contact_create(
                    owner=owners[n % len(owners)],
                    account=account,
                    first_name="Pat",
                    last_name=f"Contact {n}",
                    email=f"contact{n}@example.com",
                )
            for n in range(max(50, customers // 3)):
                lead = leads.lead_create(
                    owner=owners[n % len(owners)],
                    first_name="Lee",
                    last_name=f"Lead {n}",
                    company=f"Prospect {n}",
                    email=f"lead{n}@example.com",
                    source="website",
                    status="new",
                    score=rng.randint(0, 100),
                )
                if n % 2 == 0:
                    records.activity_create(
                        owner=lead.owner, kind="call", subject=f"Call lead {n}", lead=lead
                    )
        return {
            "customers": list(Customer.objects.values_list("pk", flat=True)),
            "accounts": list(Account.objects.values_list("pk", flat=True)),
            "contacts": list(Contact.objects.values_list("pk", flat=True)),
            "leads": list(Lead.objects.values_list("pk", flat=True)),
            "today": today.isoformat(),
        }


def run_populate(env: dict, customers: int) -> dict:
    import subprocess

    completed = subprocess.run(
        [sys.executable, __file__, "--inner-populate", str(customers)],
        cwd=benchlib.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-4000:])
    raise RuntimeError(f"populate failed ({completed.returncode})")


# === The load ==================================================================================


class Recorder:
    """Every operation's kind, endpoint, latency (s), when it was due, and its error; the first
    error bodies. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events: list[tuple[str, str, float, float, bool]] = []
        self.samples: list[str] = []
        self.requests = 0

    def add(self, kind, seconds, error=None, requests=1, endpoint="", due=None):
        with self.lock:
            due = time.perf_counter() - seconds if due is None else due
            self.events.append((kind, endpoint or kind, seconds, due, error is not None))
            self.requests += requests
            if error is not None and len(self.samples) < 5:
                self.samples.append(f"{kind}: {error[:600]}")

    def operations(self) -> int:
        return len(self.events)

    def error_count(self) -> int:
        return sum(1 for event in self.events if event[4])

    def summary(self, seconds: float, since: float | None = None, every: float = 60) -> dict:
        """Figures by kind, by endpoint, and (from `since`, per `every` s of due time) the p99
        over time: a soak that degrades shows a rising line."""

        def block(events):
            values = sorted(event[2] for event in events)
            pick = lambda f: round(benchlib.percentile(values, f) * 1000, 1) if values else None  # noqa: E731
            return {"count": len(values), "errors": sum(1 for e in events if e[4]),
                    "p50_ms": pick(0.5), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
                    "max_ms": round(values[-1] * 1000, 1) if values else None}  # fmt: skip

        def grouped(index, events):
            groups: dict[str, list] = {}
            for event in events:
                groups.setdefault(event[index], []).append(event)
            return {key: block(group) for key, group in sorted(groups.items())}

        with self.lock:
            events, samples, requests = list(self.events), list(self.samples), self.requests
        http_ops = [event for event in events if event[0] != "billing_run"]
        result = {
            "seconds": round(seconds, 1),
            "operations": len(events),
            "requests": requests,
            "operations_per_second": round(len(events) / seconds, 1) if seconds else 0,
            "requests_per_second": round(requests / seconds, 1) if seconds else 0,
            "errors": sum(1 for event in events if event[4]),
            "error_samples": samples,
            "by_kind": grouped(0, events),
            "by_endpoint": grouped(1, http_ops),
            "all_http": block(http_ops),
        }
        if since is not None:
            windows: dict[int, list] = {}
            for event in http_ops:
                windows.setdefault(int((event[3] - since) // every), []).append(event)
            result["over_time"] = [
                {"window": n, "from_s": n * every, **block(windows[n])} for n in sorted(windows)
            ]
        return result


class Client:
    """The load generator's HTTP: keep-alive connections to gunicorn (urllib3), the tenant's
    Host header, the tokens and signed-in sessions of the soak users."""

    def __init__(self, port: int, ids: dict, connections: int):
        self.pool = urllib3.HTTPConnectionPool(
            "127.0.0.1",
            port,
            maxsize=connections,
            block=True,
            retries=False,
            timeout=urllib3.Timeout(connect=10, read=60),
            headers={"Host": HOST},
        )
        self.ids = ids
        self.tokens: list[str] = []
        self.sessions: list[str] = []
        self.day = datetime.date.fromisoformat(ids["today"])
        self.counter = 0
        self.counter_lock = threading.Lock()

    def next_number(self) -> int:
        with self.counter_lock:
            self.counter += 1
            return self.counter

    def request(self, method, path, *, body=None, headers=None):
        encoded = json.dumps(body).encode() if isinstance(body, dict) else body
        all_headers = {"Host": HOST, **(headers or {})}  # replaces the pool's, not merged
        if isinstance(body, dict):
            all_headers["Content-Type"] = "application/json"
        return self.pool.request(
            method, path, body=encoded, headers=all_headers, redirect=False, preload_content=True
        )

    def api(self, method, path, body=None):
        token = random.choice(self.tokens)
        return self.request(method, path, body=body, headers={"Authorization": f"Bearer {token}"})

    # --- sign-in ---

    def obtain_token(self, username: str):
        response = self.request(
            "POST", "/api/v1/auth/token/", body={"username": username, "password": PASSWORD}
        )
        if response.status != 200:
            return response, None
        return response, json.loads(response.data)["data"]["attributes"]["access"]

    def form_login(self, username: str):
        """GET the form (its CSRF cookie and token), POST it; the session cookie, or None."""
        page = self.request("GET", "/login/")
        if page.status != 200:
            return page, None
        csrf_cookie = _cookie(page, "csrftoken")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.data)
        if not csrf_cookie or not token:
            return page, None
        form = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1).decode(),
                "username": username,
                "password": PASSWORD,
            }  # fmt: skip
        )
        response = self.request(
            "POST",
            "/login/",
            body=form.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie}",
            },
        )
        session = _cookie(response, "sessionid")
        if response.status != 302 or not session:
            return response, None
        return response, f"sessionid={session}; csrftoken={csrf_cookie}"

    def sign_in_everyone(self) -> None:
        for username in USERS:
            response, token = self.obtain_token(username)
            if token is None:
                raise RuntimeError(f"token for {username}: {response.status} {response.data[:300]}")
            self.tokens.append(token)
            response, session = self.form_login(username)
            if session is None:
                raise RuntimeError(
                    f"form login {username}: {response.status} {response.data[:300]}"
                )
            self.sessions.append(session)

    # --- the operations: each returns (requests made, error or None) ---

    def api_read(self):
        ids = self.ids
        choice = random.randrange(9)
        if choice == 0:
            page = random.randint(1, max(1, len(ids["customers"]) // 25))
            path = f"/api/v1/isp/customers/?page_size=25&page={page}"
        elif choice == 1:
            path = f"/api/v1/isp/customers/{random.choice(ids['customers'])}/"
        elif choice == 2:
            path = "/api/v1/isp/services/?page_size=25"
        elif choice == 3:
            path = "/api/v1/isp/invoices/?page_size=25"
        elif choice == 4:
            page = random.randint(1, max(1, len(ids["leads"]) // 25))
            path = f"/api/v1/crm/leads/?page_size=25&page={page}"
        elif choice == 5:
            path = f"/api/v1/crm/leads/{random.choice(ids['leads'])}/"
        elif choice == 6:
            path = "/api/v1/crm/accounts/?page_size=25"
        elif choice == 7:
            path = "/api/v1/crm/activities/?page_size=25"
        else:
            path = f"/api/v1/crm/contacts/{random.choice(ids['contacts'])}/"
        return 1, _expect(self.api("GET", path), "GET", path, 200), f"GET {_endpoint(path)}"

    def api_write(self):
        n = self.next_number()
        choice = n % 5
        if choice == 0:
            body = {"first_name": "Soak", "last_name": f"Lead {n}", "company": f"Co {n}",
                    "email": f"soak-lead{n}@example.com", "source": "website", "status": "new",
                    "score": n % 100}  # fmt: skip
            method, path, status = "POST", "/api/v1/crm/leads/", 201
        elif choice == 1:
            path = f"/api/v1/crm/leads/{random.choice(self.ids['leads'])}/"
            method, body, status = "PATCH", {"score": n % 100}, 200
        elif choice == 2:
            body = {"kind": "call", "subject": f"Soak call {n}",
                    "lead": random.choice(self.ids["leads"])}  # fmt: skip
            method, path, status = "POST", "/api/v1/crm/activities/", 201
        elif choice == 3:
            body = {"kind": "residential", "name": f"Soak Customer {n}",
                    "email": f"soak{n}@example.com", "billing_day": 1 + n % 28,
                    "service_city": "Springfield"}  # fmt: skip
            method, path, status = "POST", "/api/v1/isp/customers/", 201
        else:
            path = f"/api/v1/isp/customers/{random.choice(self.ids['customers'])}/"
            method, body, status = "PATCH", {"phone": f"+44 20 7946 {n % 10000:04d}"}, 200
        error = _expect(self.api(method, path, body), method, path, status)
        return 1, error, f"{method} {_endpoint(path)}"

    def page(self):
        path = random.choice(STAFF_PAGES)
        response = self.request("GET", path, headers={"Cookie": random.choice(self.sessions)})
        return 1, _expect(response, "GET", path, 200), f"page {path}"

    def login(self):
        username = random.choice(USERS)
        if self.next_number() % 2:
            response, token = self.obtain_token(username)
            error = None if token else _describe(response, "POST", "/api/v1/auth/token/")
            return 1, error, "POST /api/v1/auth/token/"
        response, session = self.form_login(username)
        error = None if session else _describe(response, "POST", "/login/")
        return 2, error, "GET+POST /login/"

    def billing_run(self, as_of: datetime.date, timeout: float) -> dict:
        """POST a run, poll it until the worker has finished it: what it did, or an error."""
        response = self.api("POST", "/api/v1/isp/billing-runs/", {"as_of": as_of.isoformat()})
        requests = 1
        if response.status != 202:
            return {"requests": requests, "error": _describe(response, "POST", "billing-runs")}
        run_id = json.loads(response.data)["data"]["id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.5)
            response = self.api("GET", f"/api/v1/isp/billing-runs/{run_id}/")
            requests += 1
            if response.status != 200:
                return {"requests": requests, "error": _describe(response, "GET", "billing-run")}
            run = json.loads(response.data)["data"]["attributes"]
            if run["status"] == "succeeded" and not run.get("errors"):
                return {"requests": requests, "error": None, "id": run_id,
                        "invoices": run["invoices_created"]}  # fmt: skip
            if run["status"] in ("succeeded", "failed"):
                return {"requests": requests, "error": f"billing run {run_id}: {run}"}
        return {"requests": requests, "error": f"billing run {run_id} unfinished after {timeout} s"}


def _cookie(response, name: str) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        match = re.match(rf"\s*{name}=([^;]*)", header)
        if match:
            return match.group(1)
    return None


def _endpoint(path: str) -> str:
    """The path with ids as {id} and no query: what the report groups by."""
    return re.sub(r"/\d+/", "/{id}/", path.split("?", 1)[0])


def _describe(response, method: str, path: str) -> str:
    return f"{method} {path} -> {response.status}: {response.data[:400]!r}"


def _expect(response, method: str, path: str, status: int) -> str | None:
    return None if response.status == status else _describe(response, method, path)


def parse_mix(text: str) -> list[tuple[str, int]]:
    mix = []
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind not in ("api_read", "api_write", "page", "login") or not weight.isdigit():
            raise SystemExit(f"--mix: bad part {part!r} (kinds api_read, api_write, page, login)")
        mix.append((kind, int(weight)))
    return mix


def operation(client: Client, mix, rng: random.Random):
    kinds, weights = zip(*mix, strict=True)
    kind = rng.choices(kinds, weights)[0]
    return kind, getattr(client, kind)


def run_one(client: Client, recorder: Recorder, kind: str, call, due: float) -> None:
    """One operation; its latency counts from `due` (when it should have started)."""
    endpoint = kind
    try:
        requests, error, endpoint = call()
    except Exception as exc:  # noqa: BLE001 - an exception is an error of the run, recorded
        requests, error = 1, f"{type(exc).__name__}: {exc}"
    recorder.add(kind, time.perf_counter() - due, error, requests, endpoint, due)


def closed_loop(client: Client, mix, seconds: float, concurrency: int) -> dict:
    """`concurrency` threads, each sending the next operation as soon as the last answered."""
    recorder = Recorder()
    stop = time.perf_counter() + seconds

    def loop(seed: int):
        rng = random.Random(seed)
        while time.perf_counter() < stop:
            kind, call = operation(client, mix, rng)
            run_one(client, recorder, kind, call, time.perf_counter())

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder.summary(time.perf_counter() - started)


def open_loop(client: Client, mix, rate: float, seconds: float, threads: int, recorder=None):
    """Operations due every 1/rate s whatever came back (fixed arrivals), run by a pool. Whether
    the server kept up: the operations still unanswered when the last one was due (backlog),
    and how long they took to drain."""
    recorder = recorder or Recorder()
    rng = random.Random(7)
    started = time.perf_counter()
    late = 0.0
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="soak") as pool:
        n = 0
        while True:
            due = started + n / rate
            if due >= started + seconds:
                break
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            else:
                late = max(late, -wait)
            kind, call = operation(client, mix, rng)
            pool.submit(run_one, client, recorder, kind, call, due)
            n += 1
        window_end = time.perf_counter()
        answered = sum(1 for event in list(recorder.events) if event[0] != "billing_run")
    drained = time.perf_counter()
    summary = recorder.summary(drained - started, since=started)
    summary["target_operations_per_second"] = round(rate, 1)
    summary["sender_max_late_ms"] = round(late * 1000, 1)
    summary["sent"] = n
    summary["backlog_at_end"] = max(0, n - answered)
    summary["drain_seconds"] = round(drained - window_end, 1)
    # Kept up: at most ~1 s of arrivals (and never a thread pool's worth) left unanswered.
    summary["kept_up"] = summary["backlog_at_end"] <= max(rate, 1) and summary["drain_seconds"] < 5
    return summary


class BillingRuns(threading.Thread):
    """Every `every` s a billing run, as_of one day later each time, polled to its end."""

    def __init__(self, client: Client, recorder: Recorder, every: float, timeout: float):
        super().__init__(daemon=True)
        self.client, self.recorder, self.every, self.timeout = client, recorder, every, timeout
        self.stopping = threading.Event()
        self.runs: list[dict] = []
        self.phase = "before the soak"

    def run(self):
        step = 1  # as_of today was the first run's (wait_for_worker)
        while not self.stopping.is_set():
            started = time.perf_counter()
            as_of = self.client.day + datetime.timedelta(days=min(step, SPREAD_DAYS))
            try:
                result = self.client.billing_run(as_of, self.timeout)
            except Exception as exc:  # noqa: BLE001 - recorded as an error of the run
                result = {"requests": 1, "error": f"{type(exc).__name__}: {exc}"}
            seconds = time.perf_counter() - started
            result.update(as_of=as_of.isoformat(), seconds=round(seconds, 2), phase=self.phase)
            self.runs.append(result)
            self.recorder.add("billing_run", seconds, result["error"], result["requests"])
            step += 1
            self.stopping.wait(max(0.0, self.every - seconds))


# === Memory ====================================================================================


def proc_status(pid: int) -> dict | None:
    """VmRSS, RssAnon and RssShmem (MB) of a process, from /proc (Linux); None when gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values = dict(re.findall(r"^(VmRSS|RssAnon|RssShmem):\s+(\d+) kB", text, re.MULTILINE))
    return {key: int(value) / 1024 for key, value in values.items()}


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return sorted(found)


class Memory:
    """Samples of the RSS of every process of the stack, labelled for the table."""

    def __init__(self, web, worker, beat, database_url: str, redis_url: str, database: str):
        self.web, self.worker, self.beat = web, worker, beat
        self.database_url, self.redis_url, self.database = database_url, redis_url, database
        self.samples: list[dict] = []

    def processes(self) -> dict[str, int]:
        found = {"gunicorn master": self.web.process.pid}
        for n, pid in enumerate(children(self.web.process.pid), 1):
            found[f"gunicorn worker {n}"] = pid
        found["celery worker"] = self.worker.process.pid
        for n, pid in enumerate(children(self.worker.process.pid), 1):
            found[f"celery pool {n}"] = pid
        found["celery beat"] = self.beat.process.pid
        with contextlib.suppress(Exception):
            import redis

            info = redis.Redis.from_url(self.redis_url).info("server")
            found["redis-server"] = int(info["process_id"])
        return found

    def postgres_backends(self) -> list[int]:
        import psycopg

        with contextlib.suppress(Exception), psycopg.connect(self.database_url) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database],
            ).fetchall()
            return [pid for (pid,) in rows]
        return []

    def sample(self, label: str) -> dict:
        row = {"at": label, "time": time.time(), "rss_mb": {}, "pids": {}}
        for name, pid in self.processes().items():
            status = proc_status(pid)
            if status:
                row["rss_mb"][name] = round(status["VmRSS"], 1)
                row["pids"][name] = pid
        backends = [proc_status(pid) for pid in self.postgres_backends()]
        backends = [status for status in backends if status]
        if backends:
            # A backend's RSS counts the shared buffers it has touched, which grows as it reads
            # more of the database: its private memory (RssAnon) is the figure that leaks.
            row["rss_mb"][f"postgres backends (private, max of {len(backends)})"] = round(
                max(status["RssAnon"] for status in backends), 1
            )
            row["postgres_backends"] = len(backends)
            row["postgres_private_total_mb"] = round(sum(s["RssAnon"] for s in backends), 1)
        self.samples.append(row)
        return row

    def table(self, limit_mb: float, limit_pct: float) -> tuple[list[str], list[dict], bool]:
        first, last = self.samples[0], self.samples[-1]
        names = [name for name in first["rss_mb"] if name in last["rss_mb"]]
        gone = sorted(set(first["rss_mb"]) ^ set(last["rss_mb"]))
        heads = [sample["at"] for sample in self.samples]
        lines = [f"{'process':<42}" + "".join(f"{h:>8}" for h in heads) + f"{'change':>16}"]
        rows, flat = [], True
        for name in names:
            start, end = first["rss_mb"][name], last["rss_mb"][name]
            change = end - start
            pct = 100 * change / start if start else 0.0
            ok = change < limit_mb or pct < limit_pct
            flat = flat and ok
            values = "".join(
                f"{sample['rss_mb'].get(name, float('nan')):>8.1f}" for sample in self.samples
            )
            lines.append(
                f"{name:<42}{values}{change:>+9.1f} {pct:>+5.1f}%" + ("" if ok else "  <- grew")
            )
            rows.append(
                {
                    "process": name,
                    "pid": last["pids"].get(name),
                    "start_mb": start,
                    "end_mb": end,
                    "change_mb": round(change, 1),
                    "change_pct": round(pct, 1),
                    "ok": ok,
                }
            )
        if gone:
            lines.append(f"(processes present at only one end, not compared: {', '.join(gone)})")
        return lines, rows, flat


# === The run ===================================================================================


def wait_for_worker(client: Client, worker, timeout: float) -> None:
    """The worker consumes: a first billing run (as_of today) finishes within `timeout`."""
    worker.check()
    result = client.billing_run(client.day, timeout)
    if result["error"] is not None:
        raise RuntimeError(f"first billing run: {result['error']}\n{worker.output()}")
    log(f"worker up: the first billing run invoiced {result['invoices']}")


def print_report(result: dict, memory_lines: list[str]) -> None:
    settings, peak, soak = result["settings"], result["maximum"], result["soak"]
    print()
    print(
        f"soak: {settings['duration_s']:.0f} s open loop at "
        f"{soak['target_operations_per_second']} op/s "
        f"({soak['target_operations_per_second'] / peak['operations_per_second']:.0%} of the "
        f"maximum {peak['operations_per_second']} op/s, closed loop, {peak['concurrency']} "
        f"concurrent{'; --rate' if settings['rate'] else ''}); "
        f"{settings['cpus']} CPUs, load average {result['load_average_before']:.1f} before, "
        f"{result['load_average_after']:.1f} after"
    )
    print(
        f"stack: gunicorn {settings['web_workers']} {settings['worker_class']} workers "
        f"(max_requests {settings['max_requests']}), celery worker prefork x2 + beat; "
        f"{settings['customers']} customers; API_RATE_PER_MINUTE={settings['api_rate']}, "
        f"LOGIN_RATE_PER_MINUTE={settings['login_rate']} (raised, counted)"
    )
    print(f"mix: {settings['mix']}; a billing run every {settings['billing_every_s']:.0f} s")
    print(
        f"load generator: {soak['sent']} operations sent, {soak['requests']} requests "
        f"({soak['requests_per_second']} req/s over {soak['seconds']:.0f} s), sender at most "
        f"{soak['sender_max_late_ms']} ms late, its CPU {result['generator_cpu_pct']:.0f} % of "
        f"one core"
    )
    kept = "yes" if soak["kept_up"] else "NO: the latencies below include the queue"
    print(
        f"server kept up with the arrivals: {kept} ({soak['backlog_at_end']} unanswered when the "
        f"last was due, drained in {soak['drain_seconds']} s)"
    )
    head = f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>10}"
    print(f"{'kind':<14}{'count':>9}{'errors':>8}{head}")

    def figures(row):
        return (
            f"{row['p50_ms'] or 0:>9.1f}{row['p95_ms'] or 0:>9.1f}{row['p99_ms'] or 0:>9.1f}"
            f"{row['max_ms'] or 0:>10.1f}"
        )

    for kind, row in [*soak["by_kind"].items(), ("all HTTP ops", soak["all_http"])]:
        print(f"{kind:<14}{row['count']:>9}{row['errors']:>8}{figures(row)}")
    print("p99 over time (ms, by when the operation was due):")
    print("  " + "  ".join(f"{w['from_s'] / 60:.0f}m {w['p99_ms']:.0f}" for w in soak["over_time"]))
    slowest = sorted(soak["by_endpoint"].items(), key=lambda item: -(item[1]["p50_ms"] or 0))
    print(f"slowest endpoints by p50:\n  {'endpoint':<42}{'count':>7}{head}")
    for endpoint, row in slowest[:6]:
        print(f"  {endpoint:<42}{row['count']:>7}{figures(row)}")
    runs = result["billing_runs"]
    invoiced = sum(run.get("invoices") or 0 for run in runs)
    during = [run for run in runs if run["phase"] == "soak"]
    print(
        f"billing runs: {len(runs)} finished by the worker ({len(during)} during the soak), "
        f"{invoiced} invoices"
    )
    for sample in result["error_samples_before_soak"] + soak["error_samples"]:
        print(f"  error: {sample}")
    print("RSS (MB) after warm-up, every minute, at the end:")
    for line in memory_lines:
        print(f"  {line}")
    goal = result["goal"]
    print(
        f"goal: errors 0 -> {goal['errors']} ({'met' if goal['no_errors'] else 'NOT met'}; "
        f"{result['errors_before_soak']} of them before the soak); RSS growth < "
        f"{goal['rss_limit_mb']:.0f} MB or < {goal['rss_limit_pct']:.0f} % per process -> "
        f"{'met' if goal['rss_flat'] else 'NOT met'}"
    )
    print(f"result: {result['json_path']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of soak")
    parser.add_argument("--max-seconds", type=float, default=24, help="closed-loop ramp, s")
    parser.add_argument("--warmup", type=float, default=20, help="s at the soak rate first")
    parser.add_argument("--fraction", type=float, default=0.7, help="of the maximum")
    parser.add_argument(
        "--rate", type=float, help="soak at this many op/s instead (the maximum is still measured)"
    )
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"weights (default {DEFAULT_MIX})")
    parser.add_argument("--threads", type=int, default=64, help="open-loop sender threads")
    parser.add_argument("--workers", type=int, help="gunicorn workers (config: 2*CPUs+1)")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="GUNICORN_MAX_REQUESTS (production 10000; 0, the default here: workers are not "
        "recycled, so that a leak shows instead of being reset)",
    )
    parser.add_argument("--billing-every", type=float, default=30, help="s between runs")
    parser.add_argument("--billing-timeout", type=float, default=120)
    parser.add_argument("--sample-every", type=float, default=60, help="s between RSS samples")
    parser.add_argument("--rss-limit-mb", type=float, default=20)
    parser.add_argument("--rss-limit-pct", type=float, default=10)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, default=benchlib.RESULTS_DIR / "soak.json")
    args = parser.parse_args(argv)
    mix = parse_mix(args.mix)
    cpus = os.cpu_count() or 1
    web_workers = args.workers or 2 * cpus + 1
    load_before = os.getloadavg()[0]

    with benchlib.data_stores() as stores:
        database_url = benchlib.reset_database(stores["DATABASE_URL"], args.database)
        beat_dir = tempfile.mkdtemp(prefix="soak-")  # beat's schedule, static files
        env = benchlib.app_env(
            database_url,
            stores["REDIS_URL"],
            WEB_CONCURRENCY=str(web_workers),
            GUNICORN_MAX_REQUESTS=str(args.max_requests),
            GUNICORN_DRAIN_SECONDS="0",
            SEARCH_RATE_PER_MINUTE=benchlib.API_RATE_PER_MINUTE,
            CELERY_TASK_DEFAULT_QUEUE=f"soak-{os.getpid()}",
            SPARE_SCHEMAS="0",
            CACHE_KEY_PREFIX=f"dotmac-soak-{os.getpid()}",
            CELERY_BEAT_SCHEDULE_FILENAME=str(Path(beat_dir) / "celerybeat-schedule"),
            # DEBUG=0 serves the pages' static files from a manifest, as production does.
            STATIC_ROOT=str(Path(beat_dir) / "static"),
        )
        log(
            f"database {args.database}; API_RATE_PER_MINUTE={env['API_RATE_PER_MINUTE']}, "
            f"LOGIN_RATE_PER_MINUTE={env['LOGIN_RATE_PER_MINUTE']} (raised; throttles count)"
        )
        try:
            log("migrate_schemas, collectstatic ...")
            benchlib.manage("migrate_schemas", "--noinput", env=env)
            benchlib.manage("collectstatic", "--noinput", env=env)
            started = time.monotonic()
            ids = run_populate(env, args.customers)
            log(
                f"tenant '{SLUG}': {len(ids['customers'])} customers, {len(ids['leads'])} leads, "
                f"{len(ids['accounts'])} accounts in {time.monotonic() - started:.0f} s"
            )
            worker_command = benchlib.celery_command(
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "-n",
                f"soak-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
            )
            beat_command = benchlib.celery_command("beat", "--loglevel", "WARNING")
            with (
                benchlib.Gunicorn("soak", "dotmac.wsgi", env) as web,
                benchlib.Background("celery-worker", worker_command, env) as worker,
                benchlib.Background("celery-beat", beat_command, env) as beat,
            ):
                try:
                    result = soak(args, mix, web, worker, beat, ids, env)
                except BaseException:
                    log(f"gunicorn's output:\n{web.output()}\nworker's:\n{worker.output()}")
                    raise
        finally:
            if not args.keep:
                benchlib.drop_database(stores["DATABASE_URL"], args.database)

    result.update(
        load_average_before=load_before,
        load_average_after=os.getloadavg()[0],
        started=result.get("started"),
    )
    result["settings"].update(
        duration_s=args.duration,
        rate=args.rate,
        fraction=args.fraction,
        cpus=cpus,
        web_workers=web_workers,
        worker_class=os.environ.get("GUNICORN_WORKER_CLASS", "sync"),
        max_requests=args.max_requests,
        customers=args.customers,
        mix=args.mix,
        billing_every_s=args.billing_every,
        api_rate=int(env["API_RATE_PER_MINUTE"]),
        login_rate=int(env["LOGIN_RATE_PER_MINUTE"]),
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    result["json_path"] = str(args.json)
    memory_lines = result.pop("memory_lines")
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print_report(result, memory_lines)
    return 0 if result["goal"]["met"] else 1


def soak(args, mix, web, worker, beat, ids, env) -> dict:
    threads = args.threads
    client = Client(web.port, ids, connections=threads + 4)
    client.sign_in_everyone()
    wait_for_worker(client, worker, args.billing_timeout)
    beat.check()
    # The billing runs go on from here to the end, so that the maximum is measured with them.
    before = Recorder()
    billing = BillingRuns(client, before, args.billing_every, args.billing_timeout)
    billing.start()

    step_seconds = args.max_seconds / len(CONCURRENCY_STEPS)
    log(f"warming the workers up: {step_seconds:.0f} s closed loop (not counted)")
    closed_loop(client, mix, step_seconds, CONCURRENCY_STEPS[1])
    log(f"maximum: closed loop, {args.max_seconds:.0f} s over concurrency {CONCURRENCY_STEPS}")
    steps = []
    for concurrency in CONCURRENCY_STEPS:
        step = closed_loop(client, mix, step_seconds, concurrency)
        step["concurrency"] = concurrency
        steps.append(step)
        log(
            f"  {concurrency:>2} concurrent: {step['operations_per_second']} op/s, p99 "
            f"{step['all_http']['p99_ms']} ms, {step['errors']} errors"
        )
    clean = [step for step in steps if step["errors"] == 0] or steps
    peak = max(clean, key=lambda step: step["operations_per_second"])
    rate = args.rate or max(1.0, args.fraction * peak["operations_per_second"])

    log(f"warm-up: {args.warmup:.0f} s at {rate:.1f} op/s")
    warm = open_loop(client, mix, rate, args.warmup, threads)
    memory = Memory(web, worker, beat, env["DATABASE_URL"], env["REDIS_URL"], args.database)
    memory.sample("start")

    log(
        f"soak: {args.duration:.0f} s at {rate:.1f} op/s, a billing run every "
        f"{args.billing_every:.0f} s"
    )
    recorder = Recorder()
    billing.recorder, billing.phase = recorder, "soak"
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    stop_sampling = threading.Event()

    def sample_every_minute():
        minute = 1
        while not stop_sampling.wait(args.sample_every):
            seconds = minute * args.sample_every
            memory.sample(f"{seconds / 60:.0f}m" if seconds % 60 == 0 else f"{seconds:.0f}s")
            minute += 1

    sampler = threading.Thread(target=sample_every_minute, daemon=True)
    sampler.start()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    since = time.perf_counter()
    summary = open_loop(client, mix, rate, args.duration, threads, recorder)
    billing.stopping.set()
    billing.join(args.billing_timeout + 5)
    stop_sampling.set()
    sampler.join()
    generator_cpu = 100 * (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
    # Again, with the billing run that was still being polled.
    kept = ("target_operations_per_second", "sender_max_late_ms", "sent", "backlog_at_end",
            "drain_seconds", "kept_up")  # fmt: skip
    summary = recorder.summary(summary["seconds"], since=since) | {k: summary[k] for k in kept}
    for process in (worker, beat):
        process.check()
    memory.sample("end")
    lines, rows, flat = memory.table(args.rss_limit_mb, args.rss_limit_pct)
    earlier = before.error_count() + warm["errors"] + sum(step["errors"] for step in steps)
    errors = summary["errors"] + earlier
    return {
        "started": started,
        "settings": {},
        "maximum": {
            "operations_per_second": peak["operations_per_second"],
            "concurrency": peak["concurrency"],
            "steps": steps,
        },
        "warmup": warm,
        "soak": summary,
        "errors_before_soak": earlier,
        "error_samples_before_soak": before.samples + warm["error_samples"],
        "billing_runs": billing.runs,
        "generator_cpu_pct": generator_cpu,
        "memory": {"samples": memory.samples, "rows": rows},
        "memory_lines": lines,
        "goal": {
            "no_errors": errors == 0,
            "errors": errors,
            "rss_flat": flat,
            "rss_limit_mb": args.rss_limit_mb,
            "rss_limit_pct": args.rss_limit_pct,
            "met": errors == 0 and flat,
        },
    }


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--inner-populate":
        print("RESULT " + json.dumps(populate(int(sys.argv[2]))), flush=True)
        sys.exit(0)
    sys.exit(main())
