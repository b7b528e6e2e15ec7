from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config import health
from funding import views as funding_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/", include("config.api")),  # API (issue 3)
    # --- pages (issue 4) ---
    path("", funding_views.dashboard, name="dashboard"),
    path("", include("funding.urls")),
    path("", include("companies.urls")),
    # --- end pages ---
]

# --- Health probes (issue 7) ---
urlpatterns += [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
