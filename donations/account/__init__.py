"""A supporter's account (docs/account.md): sign in by an emailed link, see every gift, and
change a membership through Stripe.

    tokens.py     signing and hashing: links, cookies, CSRF tokens, the monthly offer
    sign_in.py    sign-in links (one use, short-lived) and the sessions they open
    overview.py   what the account page shows: gifts, memberships, changes still pending
    changes.py    the changes a supporter may ask Stripe for, each audited
    cards.py      a new card: Checkout in setup mode, then the subscription's default
    offer.py      the signed offer to make a one-off gift monthly
    letters.py    the sign-in email
"""
