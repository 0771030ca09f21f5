"""Email to readers: receipts, welcomes, reminders, notes about failed renewals,
cancellations, refunds, and year-end statements (docs/mail.md).

    outbox.py      queue(session, kind=, to=, key=, ...): a message is a row first
    kinds.py       the kinds of message and what each is about
    render.py      a row and the ledger into a subject, plain text and HTML
    delivery.py    SMTP (SMTP_URL) or .eml files (MAIL_DIR) in development
    worker.py      due messages out, with retries and backoff
    links.py       signed links in messages (the card-update link)
    statements.py  a supporter's year of giving
    statement_run.py  a year's statements: queue, then deliver (`donations statements send`)
"""
