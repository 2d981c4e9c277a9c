"""Who a letter or message is from, as the settings say: the lender's name in the
borrower's language, the sender block letters print, and the public address their
verification links and guides point at (none when only a loopback address is set).

What each kind of letter says is built in :mod:`dunwell.channels.letter_content`.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from dunwell.channels.letter_content import postal_lines
from dunwell.channels.letters import Sender
from dunwell.settings import Settings

#: Host names a letter never prints as its web address (unless allowed for development).
LOOPBACK_HOSTS = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback_url(url: str) -> bool:
    """True when ``url`` points at this machine (127.0.0.0/8, ::1, localhost): a
    borrower who types it reaches nothing.

    >>> is_loopback_url("http://127.0.0.1:8000"), is_loopback_url("https://dunwell.cn")
    (True, False)
    """
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def public_base_url(settings: Settings) -> str:
    """The portal address letters print (no trailing slash), or ``""`` when there is
    none a borrower could open: ``public_base_url`` (else ``portal_base_url``), unless
    it is a loopback address and ``public_url_loopback_allowed`` is not set."""
    base = (settings.public_base_url or settings.portal_base_url).strip().rstrip("/")
    if not base or (is_loopback_url(base) and not settings.public_url_loopback_allowed):
        return ""
    return base


def lender_name(settings: Settings, language: str) -> str:
    """The lender's one name in ``language``: the legal name (Chinese for ``zh*``)."""
    english = settings.lender_legal_name.strip() or settings.lender_name
    if language.lower().startswith("zh"):
        return settings.lender_legal_name_zh.strip() or english
    return english


def sender_for(settings: Settings, language: str) -> Sender:
    """Who signs letters and how borrowers reach them, in ``language``, from the
    settings (legal name, postal address, phone, e-mail, service hours)."""
    zh = language.lower().startswith("zh")
    address = (settings.lender_postal_address_zh if zh else "") or settings.lender_postal_address
    hours = (settings.lender_hours_zh if zh else "") or settings.lender_hours
    return Sender(name=lender_name(settings, language), address=postal_lines(address),
                  phone=settings.lender_phone.strip() or settings.support_contact,
                  email=settings.lender_email, hours=hours)


__all__ = ["is_loopback_url", "lender_name", "public_base_url", "sender_for"]
