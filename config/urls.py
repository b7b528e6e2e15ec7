from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, path

from config import health

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
]

# --- Health probes (issue 7) ---
urlpatterns += [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
