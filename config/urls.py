from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config import health
from funding import views as funding_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/", include("config.api")),
    path("", funding_views.dashboard, name="dashboard"),
    path("", include("funding.urls")),
    path("", include("companies.urls")),
]

# Health probes: plain http, exempt from the https redirect, for probes inside the network.
urlpatterns += [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
