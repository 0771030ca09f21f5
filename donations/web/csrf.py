"""Cross-site posting: our forms are accepted only from our own pages.

A strict Origin check against SITE_URL, falling back to Referer when a browser sends no
Origin; a request with neither is refused. Every browser sends Origin on a cross-site POST
(https://fetch.spec.whatwg.org/#origin-header), and a page elsewhere cannot forge it
(OWASP CSRF cheat sheet, "Verifying Origin With Standard Headers"). No token, so the
form works from any cached copy of the page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_site(request: Request, site_url: str) -> bool:
    """Whether a form POST came from a page of SITE_URL."""
    expected = origin_of(site_url)
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        return origin.rstrip("/").lower() == expected
    referer = request.headers.get("referer")
    if referer:
        return origin_of(referer) == expected
    return False
