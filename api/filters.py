from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


class FilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request has none of the filter set's parameters
    (building and validating its form costs about 1.5 ms a request)."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
