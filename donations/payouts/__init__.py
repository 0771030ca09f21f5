"""Payouts: the money Stripe sends to the bank, explained by what the ledger holds, and the
journals that book it (docs/accounting.md, "Payouts and journals").

    categories      Stripe's reporting categories and types, as these modules read them
    transactions    which payouts to fetch; fetching and storing what each paid out
    explained       per payout: gifts, refunds, disputes, fees, other, checked to the cent;
                    one payout line by line
    mismatches      what Stripe paid out that the ledger lacks, and the reverse
    journal         one balanced journal per payout, on the accounts from the settings
    journal_files   the journals as Xero and QuickBooks Online import them, or plain CSV
"""
