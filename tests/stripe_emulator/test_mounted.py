"""The emulator mounted under a path prefix inside another Starlette app (one server)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import stripe
from starlette.applications import Starlette
from starlette.routing import Mount

from stripe_emulator import EmulatorConfig, create_app
from tests.stripe_emulator.support import SECRET, Receiver, Server, bound_socket, donation_params


def test_mounted_emulator_builds_urls_with_the_prefix_and_delivers_to_its_parent() -> None:
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    emulator = create_app(
        EmulatorConfig(
            public_url=f"{base}/stripe-emulator/",
            webhook_endpoints=[(f"{base}/hooks/webhooks", SECRET)],
            retry_base_delay=0.01,
        )
    )
    receiver = Receiver()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await emulator.state.emulator.aclose()

    parent = Starlette(
        routes=[Mount("/stripe-emulator", app=emulator), Mount("/hooks", app=receiver.app())],
        lifespan=lifespan,
    )
    http_client = stripe.HTTPXClient(allow_sync_methods=True)
    client = stripe.StripeClient(
        "sk_test_mounted",
        http_client=http_client,
        base_addresses={"api": f"{base}/stripe-emulator"},
    )
    with Server(parent, sock), httpx.Client() as http:
        session = client.v1.checkout.sessions.create(params=donation_params())
        assert session.url == f"{base}/stripe-emulator/c/pay/{session.id}"
        assert (
            'action="' + f"{base}/stripe-emulator/c/pay/{session.id}"
            in http.get(str(session.url)).text
        )
        paid = http.post(
            str(session.url), data={"email": "m@example.org", "card": "4242424242424242"}
        )
        assert paid.status_code == 303
        flushed = http.post(f"{base}/stripe-emulator/_emulator/deliveries/flush").json()
        assert flushed == {"flushed": True, "pending": 0}
        events = list(client.v1.events.list(params={"limit": 2}).auto_paging_iter())
    http_client.close()  # type: ignore[no-untyped-call]
    assert receiver.rejected == 0
    assert receiver.types() == [
        "customer.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    assert [e.type for e in events] == list(reversed(receiver.types()))
