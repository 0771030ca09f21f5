"""/admin: the finance dashboard, behind HTTP Basic against staff users.

    GET /admin                      progress against the target; cumulative net vs pace
    GET /admin/months               month by month, one-off vs recurring
    GET /admin/members              joined, cancelled, churn, MRR
    GET /admin/sources              top sources
    GET /admin/funnel               checkout sessions and conversion
    GET /admin/payments             payments: filters, search, pages; status, link to Stripe
    GET /admin/supporters           the form to find one supporter by email, POSTed (an old
                                    ?email= link: 303 to the id's page); /admin/supporters/{id}:
                                    what they gave, their memberships (audited)
    GET /admin/snapshots            stored progress history
    GET /admin/payouts              payouts explained, mismatches (?payout=po_...: one, line by line)
    GET /admin/mail                 the outbox: failed messages, the newest (.eml in development)
    GET /admin/supporters/{id}/statement/{year}   a year-end statement, to print
    GET /admin/api/progress         the whole progress JSON (the public API has a subset)
    GET /admin/export/{report}.csv  every report as CSV, streamed; each download audited
    GET /admin/admin.css            the stylesheet (the CSP allows no inline style)

Pages take ?campaign=slug and ?from=YYYY-MM-DD&to=YYYY-MM-DD (default: the campaign's
window); bad values answer 400 with the reason. The one form that is POSTed (a supporter's
email, kept out of addresses) is accepted only from this site's pages (SITE_URL, web/csrf.py).

    auth       staff authentication: HTTP Basic, throttling, https only in production
    scope      what every page reads from its query (campaign, range of days)
    pages      the HTML pages and the stylesheet
    supporters the supporter page
    labels     the words pages show for the ledger's codes
    stripe_links  links into Stripe's Dashboard
    exports    the CSV downloads
    api        the progress JSON
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from donations.web.admin import mail, payouts, supporters
from donations.web.admin.api import api_progress
from donations.web.admin.exports import export_csv
from donations.web.admin.pages import (
    checkout_funnel,
    members,
    months,
    overview,
    payments,
    snapshots,
    stylesheet,
    top_sources,
)

routes: list[BaseRoute] = [
    Route("/admin", overview, methods=["GET"]),
    Route("/admin/months", months, methods=["GET"]),
    Route("/admin/members", members, methods=["GET"]),
    Route("/admin/sources", top_sources, methods=["GET"]),
    Route("/admin/funnel", checkout_funnel, methods=["GET"]),
    Route("/admin/payments", payments, methods=["GET"]),
    Route("/admin/supporters", supporters.find_supporter, methods=["GET"]),
    Route("/admin/supporters", supporters.look_up_supporter, methods=["POST"]),
    Route("/admin/supporters/{supporter}", supporters.one_supporter, methods=["GET"]),
    Route("/admin/snapshots", snapshots, methods=["GET"]),
    Route("/admin/payouts", payouts.payouts, methods=["GET"]),
    Route("/admin/mail", mail.outbox, methods=["GET"]),
    Route("/admin/mail/{message:int}.eml", mail.eml, methods=["GET"]),
    Route(
        "/admin/supporters/{supporter:int}/statement/{year:int}", mail.statement, methods=["GET"]
    ),
    Route("/admin/api/progress", api_progress, methods=["GET"]),
    Route("/admin/export/{report}.csv", export_csv, methods=["GET"]),
    Route("/admin/admin.css", stylesheet, methods=["GET"]),
]
