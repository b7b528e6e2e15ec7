"""The companies and investors API: reads with numbered pages, writes through
`companies.services`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api.fields import EventDateField, SlugField, SlugOutField, TextField, WebURLField
from api.pagination import PageNumberPagination
from api.views import APIViewMixin
from companies.filters import CompanyFilter, InvestorFilter
from companies.models import COUNTRY_CODES, Company, CompanyStatus, Investor, InvestorKind
from companies.services import (
    company_create,
    company_update,
    investor_create,
    investor_update,
    organization_delete,
)


def country_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=COUNTRY_CODES,
        allow_blank=True,
        default="",
        help_text="ISO 3166-1 alpha-2 code, e.g. CN",
    )


class SectorSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()


class CompanySerializer(serializers.ModelSerializer[Company]):
    slug = SlugOutField()
    sectors = SectorSerializer(many=True)
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2; empty when unknown.")

    class Meta:
        model = Company
        fields = [
            "slug",
            "name",
            "aliases",
            "description",
            "website",
            "founded_on",
            "country",
            "city",
            "sectors",
            "status",
            "created_at",
            "updated_at",
        ]


class CompanyWriteSerializer(serializers.Serializer[Any]):
    name = TextField(max_length=200)
    aliases = serializers.ListField(child=TextField(max_length=200), default=list, max_length=100)
    description = TextField(allow_blank=True, default="", multiline=True)
    website = WebURLField(allow_blank=True, default="")
    founded_on = EventDateField(allow_null=True, default=None)
    country = country_field()
    city = TextField(allow_blank=True, default="", max_length=100)
    status = serializers.ChoiceField(choices=CompanyStatus.choices, default=CompanyStatus.ACTIVE)
    sectors = serializers.ListField(
        child=TextField(max_length=100),
        default=list,
        max_length=50,
        help_text="Sector names (or slugs); new ones are created.",
    )


class CompanyRefSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()


class InvestorSerializer(serializers.ModelSerializer[Investor]):
    slug = SlugOutField()
    company = CompanyRefSerializer(allow_null=True, help_text="The tracked company it is, if any.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2; empty when unknown.")

    class Meta:
        model = Investor
        fields = [
            "slug",
            "name",
            "aliases",
            "kind",
            "country",
            "website",
            "company",
            "created_at",
            "updated_at",
        ]


class InvestorWriteSerializer(serializers.Serializer[Any]):
    name = TextField(max_length=200)
    aliases = serializers.ListField(child=TextField(max_length=200), default=list, max_length=100)
    kind = serializers.ChoiceField(
        choices=InvestorKind.choices, default=InvestorKind.VENTURE_CAPITAL
    )
    country = country_field()
    website = WebURLField(allow_blank=True, default="")
    company = SlugField(
        slug_field="slug",
        queryset=Company.objects.all(),
        allow_null=True,
        default=None,
        help_text="Slug of the tracked company this investor is, if any.",
        error_messages={"does_not_exist": "No company with slug {value}."},
    )


class OrganizationViewSet[M: Company | Investor](APIViewMixin, viewsets.GenericViewSet[M]):
    """List (3 queries at most: count, page, and the page's sectors), detail, and
    writes through the services; addressed by slug."""

    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    pagination_class = PageNumberPagination
    read_serializer: type[serializers.BaseSerializer[Any]]
    write_serializer: type[serializers.Serializer[Any]]

    def get_serializer_class(self) -> Any:
        if self.action in {"create", "update", "partial_update"}:
            return self.write_serializer
        return self.read_serializer

    def save(self, instance: M | None, data: dict[str, Any]) -> M:
        raise NotImplementedError

    def list(self, request: Request) -> Response:
        queryset: QuerySet[M] = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        assert page is not None
        if page:
            self.last_modified = max(item.updated_at for item in page)
        return self.get_paginated_response(self.read_serializer(page, many=True).data)

    def retrieve(self, request: Request, slug: str) -> Response:
        instance = self.get_object()
        self.last_modified = instance.updated_at
        return Response(self.read_serializer(instance).data)

    def create(self, request: Request) -> Response:
        serializer = self.write_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.save(None, dict(serializer.validated_data))
        return Response(
            self.read_serializer(instance).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path}{instance.slug}/"},
        )

    def update(self, request: Request, slug: str, partial: bool = False) -> Response:
        serializer = self.write_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = get_object_or_404(
                self.get_queryset().select_for_update(of=("self",)), slug=slug
            )
            instance = self.save(instance, dict(serializer.validated_data))
        return Response(self.read_serializer(instance).data)

    def partial_update(self, request: Request, slug: str) -> Response:
        return self.update(request, slug, partial=True)

    def destroy(self, request: Request, slug: str) -> Response:
        organization_delete(organization=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _schema(noun: str, read: Any, write: Any) -> dict[str, Any]:
    return {
        "list": extend_schema(summary=f"{noun.capitalize()}s, by name"),
        "retrieve": extend_schema(summary=f"One {noun}"),
        "create": extend_schema(summary=f"Add a {noun}", request=write, responses={201: read}),
        "update": extend_schema(summary=f"Replace a {noun}", request=write, responses={200: read}),
        "partial_update": extend_schema(
            summary=f"Change some fields of a {noun}",
            request=write(partial=True),
            responses={200: read},
        ),
        "destroy": extend_schema(summary=f"Delete a {noun} that no round refers to"),
    }


@extend_schema_view(**_schema("company", CompanySerializer, CompanyWriteSerializer))
class CompanyViewSet(OrganizationViewSet[Company]):
    queryset = Company.objects.prefetch_related("sectors")
    filterset_class = CompanyFilter
    read_serializer = CompanySerializer
    write_serializer = CompanyWriteSerializer

    def save(self, instance: Company | None, data: dict[str, Any]) -> Company:
        if instance is None:
            return company_create(**data)
        return company_update(company=instance, **data)


@extend_schema_view(**_schema("investor", InvestorSerializer, InvestorWriteSerializer))
class InvestorViewSet(OrganizationViewSet[Investor]):
    queryset = Investor.objects.select_related("company")
    filterset_class = InvestorFilter
    read_serializer = InvestorSerializer
    write_serializer = InvestorWriteSerializer

    def save(self, instance: Investor | None, data: dict[str, Any]) -> Investor:
        if instance is None:
            return investor_create(**data)
        return investor_update(investor=instance, **data)
