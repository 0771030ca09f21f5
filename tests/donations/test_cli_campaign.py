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


def test_campaign_offer_sets_amounts_frequency_and_minimum_per_placement(
    database_url: str,
) -> None:
    assert donations("campaign", "add", *GOOD, database_url=database_url).returncode == 0
    whole = donations("campaign", "offer", "--campaign", "2026", "--amounts",
                      "one_off:5,*15,30;monthly:3,*7,12", "--default-frequency", "monthly",
                      "--minimum", "3", database_url=database_url)  # fmt: skip
    assert whole.returncode == 0, whole.stderr
    assert whole.stdout.strip() == (
        "campaign 2026, (whole campaign): amounts one_off:5,*15,30;monthly:3,*7,12; "
        "default frequency monthly; minimum €3.00"
    )
    footer = donations("campaign", "offer", "--campaign", "2026", "--placement",
                       "article-footer", "--default-frequency", "one_off",
                       database_url=database_url)  # fmt: skip
    assert footer.stdout.strip() == (
        "campaign 2026, article-footer: amounts —; default frequency one_off; minimum —"
    )
    # Setting one option again keeps the others.
    again = donations("campaign", "offer", "--campaign", "2026", "--minimum", "4",
                      database_url=database_url)  # fmt: skip
    assert again.stdout.strip().endswith("default frequency monthly; minimum €4.00")
    listed = donations("campaign", "offers", "--campaign", "2026", database_url=database_url)
    assert listed.returncode == 0
    assert "(whole" in listed.stdout and "article-footer" in listed.stdout
    assert listed.stdout.index("(whole") < listed.stdout.index("article-footer")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ((), "give at least one of --amounts, --default-frequency, --minimum"),
        (("--amounts", "weekly:5"), "--amounts: 'weekly:5' must start with one_off:, monthly: or annual:"),
        (("--amounts", "monthly:5,abc"), "--amounts: monthly 'abc': "),
        (("--amounts", "monthly:0.10"), "--amounts: monthly '0.10' is below what Stripe can charge"),
        (("--default-frequency", "weekly"),
         "--default-frequency must be one_off, monthly or annual, not 'weekly'"),
        (("--minimum", "0.20"), "--minimum must be at least Stripe's €0.50"),
        (("--minimum", "-1"), "--minimum: '-1' is negative"),
    ],
)  # fmt: skip
def test_bad_offer_input_exits_2_with_one_line(
    database_url: str, options: tuple[str, ...], message: str
) -> None:
    assert donations("campaign", "add", *GOOD, database_url=database_url).returncode == 0
    result = donations("campaign", "offer", "--campaign", "2026", *options,
                       database_url=database_url)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert len(result.stderr.splitlines()) == 1
    unknown = donations("campaign", "offer", "--campaign", "nope", "--minimum", "3",
                        database_url=database_url)  # fmt: skip
    assert unknown.stderr == "error: no campaign with slug 'nope' (see `donations campaign list`)\n"
