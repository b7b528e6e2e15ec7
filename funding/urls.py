from __future__ import annotations

from django.urls import path

from funding import views

app_name = "funding"
urlpatterns = [
    path("rounds/", views.round_list, name="list"),
    path("rounds/export.csv", views.round_export_csv, name="export"),
    path("rounds/feed/", views.round_feed, name="feed"),
    path("rounds/<int:round_id>/", views.round_detail, name="detail"),
]
