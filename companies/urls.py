from __future__ import annotations

from django.urls import path, register_converter

from companies import views


class UnicodeSlugConverter:
    """Slugs as `slugify(allow_unicode=True)` makes them; anything else 404s before any query."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UnicodeSlugConverter, "uslug")

app_name = "companies"
urlpatterns = [
    path("companies/", views.company_list, name="list"),
    path("companies/<uslug:slug>/", views.company_detail, name="detail"),
    path("investors/", views.investor_list, name="investors"),
    path("investors/<uslug:slug>/", views.investor_detail, name="investor"),
]
