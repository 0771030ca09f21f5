"""Fixtures: the emulator and a webhook receiver under real uvicorn servers (started once per
session, each test plugs in a fresh emulator and receiver), and the real stripe client.

    stack     -> Stack: .base (emulator URL), .receiver (verified events), .control(...);
                 indirect parametrization sets EmulatorConfig options
    client    -> stripe.StripeClient against the emulator, sync methods, no retries
    async_client -> the same for the *_async methods, closed on the test's loop
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
import stripe

from stripe_emulator import create_app
from tests.stripe_emulator.support import (
    API_KEY,
    Receiver,
    Server,
    Servers,
    Stack,
    Switchboard,
    emulator_config,
)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    emulator_board, hooks_board = Switchboard(), Switchboard()
    with Server(emulator_board) as emulator, Server(hooks_board) as hooks:
        yield Servers(emulator, emulator_board, hooks, hooks_board)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def stack(request: pytest.FixtureRequest, servers: Servers, receiver: Receiver) -> Iterator[Stack]:
    """A fresh emulator; `@pytest.mark.parametrize("stack", [{...}], indirect=True)` gives
    its EmulatorConfig options."""
    config = emulator_config(servers, **getattr(request, "param", {}))
    app = create_app(config)
    servers.emulator_board.app = app
    servers.hooks_board.app = receiver.app()
    with httpx.Client() as http:
        yield Stack(base=config.public_url, receiver=receiver, http=http, app=app)
    servers.emulator.call(app.state.emulator.aclose())
    servers.emulator_board.app = servers.hooks_board.app = None


def _emulator_client(stack: Stack, http_client: stripe.HTTPXClient) -> stripe.StripeClient:
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": stack.base},
        http_client=http_client,
        max_network_retries=0,
    )


@pytest.fixture
def client(stack: Stack) -> Iterator[stripe.StripeClient]:
    http_client = stripe.HTTPXClient(allow_sync_methods=True)
    yield _emulator_client(stack, http_client)
    http_client.close()  # type: ignore[no-untyped-call]


@pytest_asyncio.fixture
async def async_client(stack: Stack) -> AsyncIterator[stripe.StripeClient]:
    # Its own HTTPX client: async connections are closed on the loop of the test using them.
    http_client = stripe.HTTPXClient()
    yield _emulator_client(stack, http_client)
    await http_client.close_async()  # type: ignore[no-untyped-call]
