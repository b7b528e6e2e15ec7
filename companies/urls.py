from __future__ import annotations

from django.urls import path

from companies import views

app_name = "companies"
urlpatterns = [
    path("companies/", views.company_list, name="list"),
    path("companies/<str:slug>/", views.company_detail, name="detail"),
    path("investors/", views.investor_list, name="investors"),
    path("investors/<str:slug>/", views.investor_detail, name="investor"),
]
