from __future__ import annotations

import pytest

from tests.support.cli import donations

GOOD = [
    "--slug", "2026", "--name", "Reader support 2026", "--target", "500000.00",
    "--currency", "eur", "--starts", "2026-01-01", "--ends", "2026-12-31",
]  # fmt: skip


def test_campaign_add_then_list(database_url: str) -> None:
    added = donations("campaign", "add", *GOOD, database_url=database_url)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "campaign 2026: €500,000.00 from 2026-01-01 to 2026-12-31"
    listed = donations("campaign", "list", database_url=database_url)
    assert listed.returncode == 0
    assert "Reader support 2026" in listed.stdout
    assert "€500,000.00" in listed.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--currency", "xyz"), "--currency: 'xyz' is not a currency Stripe supports"),
        (("--ends", "2025-12-31"), "--ends 2025-12-31 is before --starts 2026-01-01"),
        (("--target", "-5"), "--target: '-5' is negative; amounts must be zero or more"),
        (
            ("--target", "100.001"),
            "--target: '100.001' is ambiguous: '.' could mark decimals or thousands; "
            "write 100001 or 100.00",
        ),
        (("--target", "0"), "--target must be more than zero, not '0'"),
        (("--starts", "2026-13-01"), "--starts must be a date like 2026-01-31, not '2026-13-01'"),
        (("--slug", "Bad Slug"), "--slug 'Bad Slug' must be lower-case letters, digits and dashes"),
    ],
)
def test_bad_campaign_input_exits_2_with_one_line_and_writes_nothing(
    database_url: str, change: tuple[str, str], message: str
) -> None:
    args = list(GOOD)
    args[args.index(change[0]) + 1] = change[1]
    result = donations("campaign", "add", *args, database_url=database_url)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    listed = donations("campaign", "list", database_url=database_url)
    assert listed.returncode == 0, listed.stderr
    assert "2026" not in listed.stdout


def test_duplicate_slug_exits_2(database_url: str) -> None:
    assert donations("campaign", "add", *GOOD, database_url=database_url).returncode == 0
    again = donations("campaign", "add", *GOOD, database_url=database_url)
    assert again.returncode == 2
    assert again.stderr == "error: a campaign with slug '2026' already exists\n"
