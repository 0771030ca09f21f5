"""The outbox for staff, and a supporter's statement as a page.

GET /admin/mail                                   how the outbox stands: counts, the
                                                  messages that failed for good, the newest
GET /admin/mail/{id}.eml                          a message written to MAIL_DIR (no SMTP_URL)
GET /admin/supporters/{id}/statement/{year}       the year-end statement, to print
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from donations.mail import statements
from donations.mail.delivery import eml_files, eml_name
from donations.models import MailStatus, OutboxMessage
from donations.supporters import masked
from donations.web.admin.auth import PageError, staff_only
from donations.web.admin.scope import page, page_scope

SHOWN = 50
NO_FILE = "message {id} has no .eml file (sent by SMTP, not yet written, or erased)"
NO_STATEMENT = "supporter {id} gave nothing in {year}, or is not known"


@staff_only
async def outbox(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    settings = scope.state.settings
    newest = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(SHOWN)
    failed = newest.where(col(OutboxMessage.status) == MailStatus.failed.value)
    counting = select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
    async with scope.state.reports_db.session() as session:
        counts = {status: int(n) for status, n in (await session.exec(counting)).all()}
        failures = list((await session.exec(failed)).all())
        latest = list((await session.exec(newest)).all())
    folder = Path(settings.MAIL_DIR)
    # Each file by its name (id and kind): no listing of a folder that grows by every message.
    files = {m.id for m in latest if m.id is not None and not settings.SMTP_URL
             and (folder / eml_name(m.id, m.kind)).is_file()}  # fmt: skip
    return page(
        request, "mail", who, scope, ranged=False, counts=counts, failures=failures,
        latest=latest, files=files, masked=masked, statuses=list(MailStatus),
        delivery="SMTP" if settings.SMTP_URL else f"files in {folder.resolve()}",
        enabled=settings.MAIL_ENABLED,
    )  # fmt: skip


@staff_only
async def eml(request: Request, who: str) -> Response:
    state = (await page_scope(request)).state
    message_id: int = request.path_params["message"]
    found = eml_files(Path(state.settings.MAIL_DIR), message_id)
    if not found:
        raise PageError(404, NO_FILE.format(id=message_id))
    return FileResponse(found[0], media_type="message/rfc822", filename=found[0].name)


@staff_only
async def statement(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    supporter: int = request.path_params["supporter"]
    year: int = request.path_params["year"]
    async with scope.state.reports_db.session() as session:
        found = await statements.statement(session, scope.state.settings, supporter, year)
    if found is None:
        raise PageError(404, NO_STATEMENT.format(id=supporter, year=year))
    return page(
        request, "statement", who, scope, ranged=False, s=found,
        newsroom=scope.state.settings.NEWSROOM_NAME,
        address=scope.state.settings.NEWSROOM_ADDRESS,
        tax_wording=scope.state.settings.RECEIPT_TAX_WORDING,
    )  # fmt: skip
