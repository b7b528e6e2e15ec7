from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView


class FilterBackend(DjangoFilterBackend):
    """django-filter, with two API rules on top.

    An empty parameter (`?country=`) is a 400 rather than silently no filter: a
    client that sends one meant something. And the filter set is skipped when
    the request has none of its parameters (building and validating its form
    costs about 1.5 ms a request).
    """

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        given = [name for name in filterset_class.base_filters if name in request.query_params]
        if not given:
            return queryset
        empty = {
            name: ["Give a value or leave the parameter out."]
            for name in given
            if "" in request.query_params.getlist(name)
        }
        if empty:
            raise ValidationError(empty)
        return super().filter_queryset(request, queryset, view)
