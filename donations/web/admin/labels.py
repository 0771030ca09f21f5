"""What the ledger's codes say in words on the admin pages: `one_off` is "One-off",
`past_due` "Past due". Codes are the database's and Stripe's; pages show words.

    {{ r.frequency | words }}   one_off -> One-off, monthly -> Monthly (scope.py adds the filter)
"""

from __future__ import annotations

# Codes whose words are not just the code with its underscores as spaces.
WORDS = {
    # Payment kinds and checkout frequencies.
    "one_off": "One-off",
    # Membership intervals (a price recurs every `interval`).
    "day": "Daily",
    "week": "Weekly",
    "month": "Monthly",
    "year": "Yearly",
    # Statuses.
    "canceled": "Cancelled",
    "incomplete_expired": "Incomplete, expired",
    # Card brands, as Stripe spells them.
    "amex": "American Express",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "cartes_bancaires": "Cartes Bancaires",
    "eftpos_au": "eftpos",
    # Payout mismatches.
    "not_in_ledger": "Not in the ledger",
}


def words(code: object) -> str:
    """The words for a code; an unknown one with its underscores as spaces, capitalised."""
    text = "" if code is None else str(code)
    if text in WORDS:
        return WORDS[text]
    spaced = text.replace("_", " ")
    return spaced[:1].upper() + spaced[1:]
