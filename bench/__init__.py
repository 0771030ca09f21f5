"""Benchmarks: every figure measured beside a baseline from the same run, on the same machine.

scripts/bench [--size smoke|full] [--databases sqlite,postgresql] [--only SECTIONS]

__main__.py     runs the sections per database, prints the table, writes results/latest.json
sizes.py        smoke (seconds, for CI) and full (1M payments, 20 s windows)
figures.py      a figure, its baseline, ratio and target; the table
ledger_rows.py  a realistic three-year ledger, as rows
ledger_db.py    loads it (SQLite file, PostgreSQL test_bench), reuses it, restores it
servers.py      the bench app and the Stripe emulator as child processes
bench_app.py    create_app(settings) plus the baselines' routes (durable floor, constant,
                stripe relay)
load.py         the Python load generator (a process of its own); wrk.py + wrk.lua: wrk
measure.py      runs whichever load generator is installed; checks the answers
ceiling.py      is the load generator the bottleneck?
progress.py     GET /api/progress vs a constant JSON
intake.py       POST /webhooks/stripe vs the durable floor
checkout_load.py  POST /api/checkout-sessions vs the emulator called directly, and the relay
reports.py      report functions and CLI vs hand-written SQL (report_sql.py), by the
                database's client and by sql_command.py (Python + SQLAlchemy); CSV export
                (csv_export.py) with peak memory; timing.py: the repeat timers
profile.py      py-spy on the server under the intake or checkout load (PROFILE.md)
"""
