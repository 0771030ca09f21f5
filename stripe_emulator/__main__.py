"""`python -m stripe_emulator`: run the emulator standalone under uvicorn."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from stripe_emulator import EmulatorConfig, create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stripe_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--public-url", help="base URL browsers use (default http://HOST:PORT)")
    parser.add_argument("--webhook-url", action="append", default=[], help="repeatable")
    parser.add_argument("--webhook-secret", action="append", default=[], help="one per URL")
    parser.add_argument("--delivery-delay", type=float, default=0.0)
    parser.add_argument("--retry-base-delay", type=float, default=0.5)
    parser.add_argument("--max-attempts", type=int, default=5)
    parser.add_argument("--delivery-concurrency", type=int, default=1)
    args = parser.parse_args(argv)
    if len(args.webhook_url) != len(args.webhook_secret):
        parser.error("give one --webhook-secret for each --webhook-url")
    logging.basicConfig(level=logging.INFO)
    config = EmulatorConfig(
        public_url=args.public_url or f"http://{args.host}:{args.port}",
        webhook_endpoints=list(zip(args.webhook_url, args.webhook_secret, strict=True)),
        delivery_delay=args.delivery_delay,
        retry_base_delay=args.retry_base_delay,
        max_attempts=args.max_attempts,
        delivery_concurrency=args.delivery_concurrency,
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
