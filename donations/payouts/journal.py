"""One balanced journal per payout, for the newsroom's books.

A payout that reached the bank is booked as (debits positive, credits negative):

    bank                     + the payout's amount
    donations, one-off       - one-off gifts
    donations, recurring     - membership payments
    refunds                  + refunds
    disputes                 + disputes (net of any reinstated)
    Stripe fees              + fees
    Stripe clearing          - everything else (listed in the payouts report)

It balances exactly when the payout is explained to the cent (docs/accounting.md, "Payouts and
journals"). A payout that failed or was canceled never reached the bank: its money went back
to the Stripe balance, so its first line is Stripe clearing, and the payout that later carries
that money to the bank clears it again. A payout still on its way, or not explained, gets no
journal: it is left out, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from donations.models import PayoutStatus
from donations.payouts.explained import PayoutRow
from donations.settings import Settings

ARRIVED = frozenset({PayoutStatus.paid.value})
CAME_BACK = frozenset({PayoutStatus.failed.value, PayoutStatus.canceled.value})

NARRATION = "Stripe payout {payout}"
TO_BANK = "Payout to the bank"
BACK_TO_STRIPE = "Payout {status}: back in the Stripe balance"
ONE_OFF = "One-off gifts"
RECURRING = "Membership payments"
REFUNDS = "Refunds"
DISPUTES = "Disputes (net of reinstatements)"
FEES = "Stripe fees"
OTHER = "Other Stripe balance movements"
ON_ITS_WAY = "not arrived yet ({status})"
NOT_EXPLAINED = "not explained: {note}"
OTHER_CURRENCY = "in {currency}: export it with --currency {currency}"


@dataclass(frozen=True)
class Accounts:
    """What the books call each account: Xero codes, or QuickBooks account names."""

    bank: str
    stripe_clearing: str
    donations_one_off: str
    donations_recurring: str
    refunds: str
    disputes: str
    stripe_fees: str

    @classmethod
    def of(cls, settings: Settings) -> Accounts:
        return cls(
            bank=settings.ACCOUNT_BANK,
            stripe_clearing=settings.ACCOUNT_STRIPE_CLEARING,
            donations_one_off=settings.ACCOUNT_DONATIONS_ONE_OFF,
            donations_recurring=settings.ACCOUNT_DONATIONS_RECURRING,
            refunds=settings.ACCOUNT_REFUNDS,
            disputes=settings.ACCOUNT_DISPUTES,
            stripe_fees=settings.ACCOUNT_STRIPE_FEES,
        )


@dataclass(frozen=True)
class Line:
    account: str
    description: str
    # Minor units of the journal's currency: a debit positive, a credit negative.
    amount: int


@dataclass(frozen=True)
class Journal:
    payout: str
    date: date
    currency: str
    narration: str
    lines: tuple[Line, ...]

    @property
    def debits(self) -> int:
        return sum(line.amount for line in self.lines if line.amount > 0)

    @property
    def credits(self) -> int:
        return -sum(line.amount for line in self.lines if line.amount < 0)


@dataclass(frozen=True)
class LeftOut:
    payout: str
    reason: str


@dataclass(frozen=True)
class Journals:
    journals: list[Journal]
    left_out: list[LeftOut]


def journal_of(row: PayoutRow, accounts: Accounts) -> Journal:
    """The payout's journal; it balances when the row is explained."""
    if row.status in ARRIVED:
        landed = Line(accounts.bank, TO_BANK, row.amount)
    else:
        landed = Line(
            accounts.stripe_clearing, BACK_TO_STRIPE.format(status=row.status), row.amount
        )
    lines = [
        landed,
        Line(accounts.donations_one_off, ONE_OFF, -row.one_off),
        Line(accounts.donations_recurring, RECURRING, -row.recurring),
        Line(accounts.refunds, REFUNDS, -row.refunds),
        Line(accounts.disputes, DISPUTES, -row.disputes),
        Line(accounts.stripe_fees, FEES, -row.fees),
        Line(accounts.stripe_clearing, OTHER, -row.other),
    ]
    return Journal(
        payout=row.payout,
        date=row.arrival_date,
        currency=row.currency,
        narration=NARRATION.format(payout=row.payout),
        lines=tuple(line for line in lines if line.amount),
    )


def journals(
    rows: Iterable[PayoutRow], accounts: Accounts, *, currency: str | None = None
) -> Journals:
    """A journal for each payout that has arrived (or come back) and is explained, in
    `currency` if given; the others left out, each with the reason."""
    made: list[Journal] = []
    left_out: list[LeftOut] = []
    for row in rows:
        if currency is not None and row.currency != currency:
            left_out.append(LeftOut(row.payout, OTHER_CURRENCY.format(currency=row.currency)))
        elif row.status not in ARRIVED | CAME_BACK:
            left_out.append(LeftOut(row.payout, ON_ITS_WAY.format(status=row.status)))
        elif not row.explained:
            left_out.append(LeftOut(row.payout, NOT_EXPLAINED.format(note=row.note)))
        else:
            made.append(journal_of(row, accounts))
    return Journals(made, left_out)
