"""`python -m bench [--size smoke|full] [--databases sqlite,postgresql] [--only ...]`

Runs every benchmark on each database, prints the table of figures (each beside the
baseline measured in the same run) and writes it to RESULTS/latest.json.
"""

from __future__ import annotations

import argparse
import compileall
import logging
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import ceiling, checkout_load, intake, ledger_db, progress, reports, servers
from bench.figures import Figure, table, write_json
from bench.ledger_db import DEFAULT_POSTGRES, DEFAULT_RESULTS, database_url
from bench.sizes import SIZES, Size

SECTIONS = ("reports", "ceiling", "progress", "intake", "checkout")
DATABASES = ("sqlite", "postgresql")

logger = logging.getLogger("bench")


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
    }


# Ours, compiled to bytecode before anything is timed.
PACKAGES = ("donations", "webhooks", "stripe_emulator", "stripe_events", "bench")


def compile_project() -> None:
    """Compile our packages as an installed wheel ships them. The libraries' bytecode was
    written when pip installed them; ours, installed editable, is compiled from source at
    every start where PYTHONDONTWRITEBYTECODE is set (as on this machine and in CI), which
    would add ~50 ms to every command we time and nothing to the baselines."""
    root = Path(__file__).resolve().parent.parent
    for package in PACKAGES:
        compileall.compile_dir(root / package, quiet=1)


def run_database(
    name: str, url: str, size: Size, *, sections: set[str], results: Path, warnings: list[str]
) -> tuple[list[Figure], dict[str, Any]]:
    """Every section on one database. A section that fails is a warning, and the others run:
    one broken endpoint must not cost the whole table."""
    figures: list[Figure] = []

    def measured(section: str, work: Callable[[], list[Figure]]) -> None:
        if section not in sections:
            return
        started = time.perf_counter()
        logger.info("%s: %s ...", name, section)
        try:
            figures.extend(work())
        except Exception as error:  # reported, and the run goes on
            logger.exception("%s: %s failed", name, section)
            warnings.append(f"{name}: {section} failed: {type(error).__name__}: {error}")
        logger.info("%s: %s done in %.1f s", name, section, time.perf_counter() - started)

    loaded = ledger_db.ensure_loaded(url, size.ledger)
    ledger_db.create_floor_table(url)
    try:
        measured(
            "reports", lambda: reports.measure_reports(url, size, database=name, scratch=results)
        )
        if sections & {"ceiling", "progress", "intake", "checkout"}:
            logs = results / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            with (
                servers.app_and_emulator(database_url=url, logs=logs) as (app, emulator),
                servers.bare_floor(
                    database_url=url, progress_from=app.url + progress.PROGRESS_PATH, logs=logs
                ) as bare,
            ):
                options: dict[str, Any] = {"database": name, "warnings": warnings}
                floors: dict[str, Any] = {**options, "bare": bare}
                measured("ceiling", lambda: ceiling.measure_ceiling(app, size, **options))
                measured("progress", lambda: progress.measure_progress(app, size, **floors))
                measured("intake", lambda: intake.measure_intake(app, size, **floors))
                measured(
                    "checkout",
                    lambda: checkout_load.measure_checkout(app, emulator, size, **options),
                )
    finally:
        ledger_db.restore(url, size.ledger)
    return figures, {"ledger": loaded}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument(
        "--databases",
        help="comma-separated: sqlite,postgresql (default: both for full, sqlite for smoke)",
    )
    parser.add_argument("--only", help=f"comma-separated sections of {','.join(SECTIONS)}")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    size = SIZES[args.size]
    names = (args.databases or ("sqlite,postgresql" if size.name == "full" else "sqlite")).split(
        ","
    )
    sections = set((args.only or ",".join(SECTIONS)).split(","))
    if unknown := sections - set(SECTIONS):
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if unknown := set(names) - set(DATABASES):
        parser.error(f"unknown databases: {', '.join(sorted(unknown))}")
    results: Path = args.results.resolve()
    results.mkdir(parents=True, exist_ok=True)
    compile_project()

    context: dict[str, Any] = {"size": size.name, "machine": machine(), "databases": {}}
    figures: list[Figure] = []
    warnings: list[str] = []
    failures = 0
    for name in names:
        url = database_url(name, size, results, args.postgres_url)
        try:
            found, about = run_database(
                name, url, size, sections=sections, results=results, warnings=warnings
            )
        except Exception as error:  # the other database still runs
            logger.exception("%s failed", name)
            warnings.append(f"{name}: failed: {type(error).__name__}: {error}")
            failures += 1
            continue
        figures += found
        context["databases"][name] = about
    context["machine"]["load_average_at_end"] = os.getloadavg()

    context["warnings"] = warnings
    print(table(figures))
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"\nsize {size.name}; machine: {context['machine']}")
    write_json(results / "latest.json", figures, context)
    if failures or any(" failed: " in warning for warning in warnings):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
