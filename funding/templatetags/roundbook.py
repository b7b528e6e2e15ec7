"""Template filters: money, dates at their precision, stage labels; links to web URLs only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from companies.links import is_web_url
from funding.models import Stage
from web.formatting import format_date_at_precision, format_money, format_usd

register = template.Library()
_STAGE_LABELS = dict(Stage.choices)


@register.filter
def money(amount: Decimal | None, currency: str = "USD") -> str:
    """{{ round.amount|money:round.currency }} → "€385M"."""
    return format_money(amount, currency or "USD")


@register.filter
def usd(amount: Decimal | None) -> str:
    """{{ round.amount_usd|usd }} → "$1.0B"."""
    return format_usd(amount)


@register.filter
def at_precision(day: date | None, precision: str) -> str:
    """{{ round.announced_on|at_precision:round.announced_on_precision }} → "Feb 2024"."""
    return "" if day is None else format_date_at_precision(day, precision)


@register.filter
def stage_label(stage: str) -> str:
    return _STAGE_LABELS.get(stage, stage)


@register.simple_tag
def external_link(url: str, text: str = "") -> SafeString:
    """{% external_link source.url source.title %}: a link when `url` is a web URL.

    Anything else stored (a `javascript:` or `data:` URL written around the
    application) is shown as plain text, never as an `href`.
    """
    label = text or url
    if is_web_url(url):
        return format_html('<a href="{}" rel="noopener nofollow">{}</a>', url, label)
    return format_html('<span class="unlinked">{}</span>', label)
