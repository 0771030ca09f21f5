"""create_app(config) -> the emulator as a Starlette app, standalone or mounted.

    /v1/...          Stripe's API (api.py)
    /_emulator/...   controls for tests and the demo (control.py)
    /c/pay/{id}      hosted checkout page; /p/session/{id} billing portal (pages.py)

`app.state.emulator` is the Emulator: its store, clock and deliverer, and `aclose()`.
Mounted in another app (`Mount("/stripe-emulator", app=create_app(...))`), the parent's
lifespan does not run ours, so nothing here needs a lifespan to work: webhook delivery starts
on the running loop at the first event. Call `await app.state.emulator.aclose()` on shutdown.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from stripe_emulator import api, control, pages
from stripe_emulator.clock import Clock
from stripe_emulator.config import EmulatorConfig
from stripe_emulator.state import Store
from stripe_emulator.webhooks import Deliverer


class Emulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = dataclasses.replace(config, public_url=config.public_url.rstrip("/"))
        self.clock = Clock()
        # One list, shared: endpoints added at run time reach the deliverer too.
        self.deliverer = Deliverer(self.config.webhook_endpoints, self.config.delivery_options())
        self.store = Store(config=self.config, clock=self.clock, on_event=self.deliverer.enqueue)

    async def aclose(self) -> None:
        """Stop webhook delivery (whatever is still queued is dropped)."""
        await self.deliverer.aclose()


def create_app(config: EmulatorConfig) -> Starlette:
    emulator = Emulator(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await emulator.aclose()

    app = Starlette(
        routes=[
            *api.routes(emulator.store),
            *control.routes(emulator.store, emulator.deliverer),
            *pages.routes(emulator.store),
        ],
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    return app
