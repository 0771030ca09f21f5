"""GET /metrics and JSON logs from `donations serve` as an operator runs it: two uvicorn
workers, Stripe played by the emulator in its own server, readers' checkouts through the JSON
API and the form, Stripe's deliveries signed and sent to whichever worker takes them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

import stripe_events as se
from stripe_emulator import EmulatorConfig
from stripe_emulator import create_app as create_emulator
from tests.support.cli import in_process
from tests.support.servers import free_port, serve_in_thread
from tests.support.webhook_delivery import deliver

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

SECRET = "whsec_metrics_test_secret"
TOKEN = "t" * 40
STARTUP_TIMEOUT = 60.0
MAX_HEALTH_CHECKS = 200
READERS = ("uma@example.org", "vic@example.org", "wes@example.org")


@dataclass
class Site:
    url: str
    emulator: str
    process: subprocess.Popen[bytes]
    # stderr, appended to by the server, read here through a descriptor of our own (stdout
    # has only serve's "serving on ..." line).
    log: Path

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()


@contextmanager
def served(database_url: str, *, workers: int, **env: str) -> Iterator[Site]:
    """`donations serve --workers N` against an emulator in this process."""
    port, emulator_port = free_port(), free_port()
    url, emulator_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{emulator_port}"
    config = EmulatorConfig(
        public_url=emulator_url, webhook_endpoints=[(url + "/webhooks/stripe", SECRET)]
    )
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "SITE_URL": url,
        "STRIPE_SECRET_KEY": "sk_test_metrics",
        "STRIPE_API_BASE": emulator_url,
        "STRIPE_WEBHOOK_SECRET": SECRET,
        **env,
    }
    command = [sys.executable, "-m", "donations", "serve", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    with (
        serve_in_thread(create_emulator(config), port=emulator_port),
        tempfile.TemporaryDirectory() as scratch,
        open(Path(scratch) / "stderr.log", "ab") as log,
    ):
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=log,
            start_new_session=True,
        )  # fmt: skip
        site = Site(url, emulator_url, process, Path(log.name))
        try:
            _wait_until_ready(site, workers)
            yield site
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


def _wait_until_ready(site: Site, workers: int) -> None:
    """Until /readyz answers and every worker has started (/readyz needs only one)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        lines = site.log_lines()
        assert site.process.poll() is None, "\n".join(lines)
        started = sum("Application startup complete." in line for line in lines)
        try:
            ready = httpx.get(site.url + "/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            ready = False
        if ready and started == workers:
            return
        time.sleep(0.1)
    raise AssertionError("donations serve did not become ready")


async def give(http: httpx.AsyncClient, site: Site, email: str, frequency: str) -> None:
    """A reader starts a checkout through the JSON API and pays on the hosted page."""
    started = await http.post(
        site.url + "/api/checkout-sessions",
        json={"amount": 1500, "currency": "eur", "frequency": frequency, "email": email,
              "source": "article-footer"},
    )  # fmt: skip
    assert started.status_code == 201, started.text
    paid = await http.post(
        f"{site.emulator}/_emulator/checkout/sessions/{started.json()['id']}/pay",
        json={"card": "4242424242424242", "email": email},
    )
    assert paid.status_code == 200, paid.text


async def flush(http: httpx.AsyncClient, site: Site) -> None:
    flushed = await http.post(site.emulator + "/_emulator/deliveries/flush", json={"timeout": 30})
    assert flushed.json()["flushed"] is True


async def until_both_workers_answer_healthz(site: Site, shared: Path) -> int:
    """GET /healthz, a new connection each time (the workers take turns at accepting), until
    each worker's own metrics file counts one; how many were sent."""
    for sent in range(1, MAX_HEALTH_CHECKS + 1):
        async with httpx.AsyncClient(timeout=10) as fresh:
            assert (await fresh.get(site.url + "/healthz")).status_code == 200
        if len(healthz_by_worker(shared)) == 2:
            return sent
    raise AssertionError(f"one worker answered all {MAX_HEALTH_CHECKS} health checks")


def healthz_by_worker(shared: Path) -> dict[str, float]:
    """/healthz requests counted in each worker's file (named histogram_<pid>.db)."""
    counts = {}
    for path in shared.glob("histogram_*.db"):
        merged = MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
        for metric in merged:
            for sample in metric.samples:
                if sample.name.endswith("_count") and sample.labels.get("route") == "/healthz":
                    counts[path.stem] = sample.value
    return counts


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_add_up_every_workers_deliveries_checkouts_and_requests(
    database_url: str, tmp_path: Path
) -> None:
    shared = tmp_path / "metrics"
    with served(
        database_url, workers=2, METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(shared)
    ) as site:
        async with httpx.AsyncClient(timeout=30) as http:
            await give(http, site, READERS[0], "one_off")
            await give(http, site, READERS[1], "one_off")
            await give(http, site, READERS[2], "monthly")
            too_small = await http.post(
                site.url + "/api/checkout-sessions",
                json={"amount": 10, "currency": "eur", "frequency": "one_off"},
            )
            assert too_small.status_code == 422
            form = await http.post(
                site.url + "/contribute", data={"amount": "20", "frequency": "one_off"},
                headers={"Origin": site.url},
            )  # fmt: skip
            assert form.status_code == 303
            await flush(http, site)
            checks = await until_both_workers_answer_healthz(site, shared)
            # Stripe delivers an event twice; and one a handler cannot read (a refund in a
            # status Stripe does not document): stored as failed, answered 422 with the reason.
            events = await http.get(site.emulator + "/v1/events",
                                    auth=("sk_test_metrics", ""), params={"limit": 100})  # fmt: skip
            completed = next(
                event for event in events.json()["data"]
                if event["type"] == "checkout.session.completed"
            )  # fmt: skip
            assert (await deliver_to(http, site, completed)).json()["duplicate"] is True
            gift = se.one_off_gift(1500, "eur", int(time.time()), "zoe@example.org")
            bogus = se.refund(gift, 500, int(time.time())).events[0]
            bogus["data"]["object"]["status"] = "reversed"
            assert (await deliver_to(http, site, bogus)).status_code == 422

            refused = await http.get(site.url + "/metrics")
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
            answer = await http.get(
                site.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain; version=")
        text = answer.text
    scraped = samples(text)
    deliveries = "donations_webhook_deliveries_total"
    assert {
        (dict(labels)["type"], dict(labels)["outcome"]): count
        for (name, labels), count in scraped.items()
        if name == deliveries
    } == {
        # Each paid checkout: its session and PaymentIntent; the membership's: its
        # subscription, first invoice and invoice payment too (the form's reader never paid).
        ("checkout.session.completed", "processed"): 3.0,
        ("payment_intent.succeeded", "processed"): 3.0,
        ("customer.subscription.created", "processed"): 1.0,
        ("invoice.paid", "processed"): 1.0,
        ("invoice_payment.paid", "processed"): 1.0,
        # The card of each charge, for the reader's receipt.
        ("charge.succeeded", "processed"): 3.0,
        # customer.created of each, which the ledger does not read.
        ("other", "ignored"): 3.0,
        ("checkout.session.completed", "duplicate"): 1.0,
        ("refund.created", "failed"): 1.0,
    }
    assert [
        value(scraped, "donations_webhook_processing_seconds_count", outcome=outcome)
        for outcome in ("processed", "ignored", "duplicate", "failed")
    ] == [12, 3, 1, 1]
    assert value(scraped, "donations_checkouts_total", via="api", outcome="created") == 3
    assert value(scraped, "donations_checkouts_total", via="api", outcome="invalid") == 1
    assert value(scraped, "donations_checkouts_total", via="form", outcome="created") == 1
    assert value(scraped, "donations_webhook_events_unprocessed", status="failed") == 1
    assert value(scraped, "donations_webhook_events_unprocessed", status="pending") == 0
    assert value(scraped, "donations_http_request_duration_seconds_count",
                 route="/api/checkout-sessions", method="POST", status="201") == 3  # fmt: skip
    assert value(scraped, "donations_http_request_duration_seconds_count",
                 route="/webhooks/stripe", method="POST", status="422") == 1  # fmt: skip
    # Each worker answered some of the health checks; the scrape, from one of them, has all.
    assert value(scraped, "donations_http_request_duration_seconds_count",
                 route="/healthz", method="GET", status="200") == checks  # fmt: skip
    for private in (*READERS, "zoe@example.org", "article-footer", "cs_test", "evt_"):
        assert private not in text, private

    # The operator's command counts the same inbox: each event once, by status and type.
    status = await in_process(
        "webhooks", "status", "--format", "json", env={"DATABASE_URL": database_url}
    )
    assert status.exit_code == 0, status.stderr
    inbox = json.loads(status.stdout)
    assert {(row["status"], row["type"]): row["count"] for row in inbox["events"]} == {
        ("processed", "checkout.session.completed"): 3,
        ("processed", "payment_intent.succeeded"): 3,
        ("processed", "customer.subscription.created"): 1,
        ("processed", "invoice.paid"): 1,
        ("processed", "invoice_payment.paid"): 1,
        ("ignored", "customer.created"): 3,
        ("processed", "charge.succeeded"): 3,
        ("failed", "refund.created"): 1,
    }
    assert inbox["unprocessed"] == {"failed": 1, "pending": 0}
    assert inbox["oldest_failed"]["id"] == bogus["id"]


async def deliver_to(http: httpx.AsyncClient, site: Site, event: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        return await deliver(client, event, SECRET)


async def test_json_log_lines_parse_carry_extra_fields_and_no_email(database_url: str) -> None:
    with served(database_url, workers=2, LOG_FORMAT="json") as site:
        async with httpx.AsyncClient(timeout=30) as http:
            await give(http, site, READERS[0], "one_off")
            await flush(http, site)
            # A newsletter's link that fills in the reader's address: uvicorn logs the path.
            page = await http.get(site.url + "/contribute", params={"email": READERS[1]})
            assert page.status_code == 200
            gift = se.one_off_gift(1500, "eur", int(time.time()), READERS[2])
            bogus = se.refund(gift, 500, int(time.time())).events[0]
            bogus["data"]["object"]["status"] = "reversed"
            assert (await deliver_to(http, site, bogus)).status_code == 422
        lines = site.log_lines()
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    messages = [(record["logger"], record["message"]) for record in records]
    # Each worker configures its logging from serve's.
    assert messages.count(("uvicorn.error", "Application startup complete.")) == 2
    # The workers' metrics directory was serve's own, and went with it.
    [shared] = [message.rsplit(" ", 1)[1] for logger, message in messages
                if message.startswith("metrics: the workers' counts add up in ")]  # fmt: skip
    assert shared.startswith(tempfile.gettempdir()) and not Path(shared).exists()
    processed = [message for logger, message in messages if logger == "webhooks.inbox"
                 and " checkout.session.completed processed " in message]  # fmt: skip
    assert len(processed) == 1, "\n".join(lines)
    # Fields passed as `extra=` are fields of the object.
    failed = next(record for record in records if record["message"] == "event failed")
    assert (failed["level"], failed["event"], failed["type"], failed["error"]) == (
        "WARNING",
        bogus["id"],
        "refund.created",
        "Unreadable",
    )
    assert any(message.endswith('"GET /contribute?email=v***@example.org HTTP/1.1" 200')
               for _, message in messages)  # fmt: skip
    log = "\n".join(lines)
    for email in READERS:
        assert email not in log and email.replace("@", "%40") not in log
