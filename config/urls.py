from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

# --- pages (issue 4) ---
from funding import views as funding_views

# --- end pages ---

urlpatterns = [
    path("admin/", admin.site.urls),
    # --- pages (issue 4) ---
    path("", funding_views.dashboard, name="dashboard"),
    path("", include("funding.urls")),
    path("", include("companies.urls")),
    # --- end pages ---
]
