"""The funding API: rounds (read fast from `.values()` rows, written through
`funding.services`), each company's and investor's rounds, valuation series and
funding statistics."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import CharField, Count, F, Max, QuerySet, Sum, Value
from django.db.models.functions import Trunc
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import CursorPagination, ordering_for
from api.renderers import CSVRenderer, ORJSONRenderer
from api.views import APIViewMixin
from companies.models import Company, Investor
from funding.api.serializers import (
    FundingStatsSerializer,
    RoundSerializer,
    RoundWriteSerializer,
    StatsQuerySerializer,
    ValuationSeriesSerializer,
)
from funding.exports import rounds_csv_response
from funding.filters import DEFAULT_ROUND_ORDERING, ROUND_ORDERINGS, RoundFilter
from funding.models import FundingRound
from funding.roundbook_format import (
    plain,
    records_from_rows,
    round_rows,
)
from funding.services import (
    CENTS,
    ParticipationSpec,
    SourceSpec,
    round_create,
    round_delete,
    round_update,
)
from funding.valuations import valuation_change

_CSV_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="`csv` streams every filtered round (same as `Accept: text/csv`) in the "
    "roundbook CSV columns, unpaginated.",
)


class RoundListMixin(APIViewMixin, viewsets.GenericViewSet[FundingRound]):
    """A cursor-paginated, filterable list of rounds; CSV on request."""

    # (Not in the docstring, which the OpenAPI schema shows to clients.) One query
    # whatever the page size: the page's rounds with their company, and their
    # investors and sources aggregated as JSON (funding.roundbook_format.round_rows).

    queryset = FundingRound.objects.all()
    filterset_class = RoundFilter
    pagination_class = CursorPagination
    serializer_class = RoundSerializer
    csv_filename = "rounds.csv"

    def get_renderers(self) -> list[BaseRenderer]:
        if getattr(self, "action", None) == "list":
            return [ORJSONRenderer(), CSVRenderer()]
        return [ORJSONRenderer()]

    def rounds_response(self, request: Request, rounds: QuerySet[FundingRound]) -> Any:
        if request.accepted_renderer.format == "csv":
            return rounds_csv_response(rounds.order_by(*_orderings(request)), self.csv_filename)
        paginator = self.paginator
        assert isinstance(paginator, CursorPagination)
        ordering = ordering_for(
            FundingRound, request.query_params.get("ordering") or DEFAULT_ROUND_ORDERING
        )
        rows = paginator.paginate_rows(round_rows(rounds), request, ordering)
        if rows:
            self.last_modified = max(row["updated_at"] for row in rows)
        return Response(paginator.paginated_body(records_from_rows(rows)))


def _orderings(request: Request) -> tuple[Any, ...]:
    return ROUND_ORDERINGS[request.query_params.get("ordering") or DEFAULT_ROUND_ORDERING]


def round_record(pk: int) -> dict[str, Any]:
    """One round's record (one query); 404 when there is none."""
    rows = list(round_rows(FundingRound.objects.filter(pk=pk)))
    if not rows:
        raise NotFound("No round with this id.")
    return records_from_rows(rows)[0]


def _write_arguments(data: dict[str, Any]) -> dict[str, Any]:
    """Validated write data as keyword arguments of round_create / round_update."""
    arguments = dict(data)
    if "investors" in arguments:
        arguments["investors"] = [ParticipationSpec(**item) for item in arguments["investors"]]
    if "sources" in arguments:
        arguments["sources"] = [SourceSpec(**item) for item in arguments["sources"]]
    return arguments


@extend_schema_view(
    list=extend_schema(
        summary="Rounds, newest first",
        operation_id="rounds_list",
        parameters=[_CSV_PARAMETER],
        responses={
            200: RoundSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    ),
    retrieve=extend_schema(summary="One round"),
    create=extend_schema(
        summary="Add a round", request=RoundWriteSerializer, responses={201: RoundSerializer}
    ),
    update=extend_schema(
        summary="Replace a round", request=RoundWriteSerializer, responses={200: RoundSerializer}
    ),
    partial_update=extend_schema(
        summary="Change some fields of a round",
        request=RoundWriteSerializer(partial=True),
        responses={200: RoundSerializer},
    ),
    destroy=extend_schema(summary="Delete a round"),
)
class RoundViewSet(RoundListMixin):
    lookup_value_regex = "[0-9]{1,18}"

    def get_serializer_class(self) -> Any:
        if self.action in {"create", "update", "partial_update"}:
            return RoundWriteSerializer
        return RoundSerializer

    def list(self, request: Request) -> Any:
        return self.rounds_response(request, self.filter_queryset(self.get_queryset()))

    def retrieve(self, request: Request, pk: str) -> Response:
        record = round_record(int(pk))
        self.last_modified = FundingRound._meta.get_field("updated_at").to_python(
            record["updated_at"]
        )
        return Response(record)

    def create(self, request: Request) -> Response:
        serializer = RoundWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        funding_round = round_create(**_write_arguments(serializer.validated_data))
        return Response(
            round_record(funding_round.pk),
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path}{funding_round.pk}/"},
        )

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        serializer = RoundWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            funding_round = get_object_or_404(FundingRound.objects.select_for_update(), pk=int(pk))
            arguments = _write_arguments(serializer.validated_data)
            round_update(funding_round=funding_round, **arguments)
        return Response(round_record(funding_round.pk))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        round_delete(funding_round=get_object_or_404(FundingRound, pk=int(pk)))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="A company's rounds",
        operation_id="companies_rounds_list",
        parameters=[_CSV_PARAMETER],
        responses={200: RoundSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class CompanyRoundViewSet(RoundListMixin):
    def list(self, request: Request, company_slug: str) -> Any:
        rounds = self.filter_queryset(self.get_queryset()).filter(company__slug=company_slug)
        response = self.rounds_response(request, rounds)
        if self.last_modified is None and not Company.objects.filter(slug=company_slug).exists():
            raise NotFound("No company with this slug.")
        return response


@extend_schema_view(
    list=extend_schema(
        summary="An investor's rounds",
        operation_id="investors_rounds_list",
        parameters=[_CSV_PARAMETER],
        responses={200: RoundSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
)
class InvestorRoundViewSet(RoundListMixin):
    def list(self, request: Request, investor_slug: str) -> Any:
        rounds = self.filter_queryset(self.get_queryset()).filter(
            participations__investor__slug=investor_slug
        )
        response = self.rounds_response(request, rounds)
        if self.last_modified is None and not Investor.objects.filter(slug=investor_slug).exists():
            raise NotFound("No investor with this slug.")
        return response


@extend_schema_view(list=extend_schema(summary="A company's post-money valuation series"))
class ValuationViewSet(APIViewMixin, viewsets.GenericViewSet[FundingRound]):
    """One query (two for a company without priced rounds)."""

    queryset = FundingRound.objects.all()
    serializer_class = ValuationSeriesSerializer
    pagination_class = None

    def list(self, request: Request, company_slug: str) -> Response:
        rows = list(
            self.get_queryset()
            .filter(company__slug=company_slug, post_money_valuation_usd__isnull=False)
            .order_by("announced_on", "id")
            .values(
                "id",
                "announced_on",
                "post_money_valuation_usd",
                "amount_usd",
                "stage",
                "updated_at",
            )
        )
        if not rows and not Company.objects.filter(slug=company_slug).exists():
            raise NotFound("No company with this slug.")
        results = []
        previous: Decimal | None = None
        for row in rows:
            valuation = row["post_money_valuation_usd"]
            results.append(
                {
                    "date": row["announced_on"],
                    "post_money_valuation_usd": plain(valuation),
                    "amount_usd": plain(row["amount_usd"]),
                    "stage": row["stage"],
                    "round": row["id"],
                    "change": valuation_change(previous, valuation),
                }
            )
            previous = valuation
        if rows:
            self.last_modified = max(row["updated_at"] for row in rows)
        return Response({"results": results})


_GROUP_FIELDS = {
    "stage": "stage",
    "country": "company__country",
    "sector": "company__sectors__slug",
}


@extend_schema_view(
    list=extend_schema(
        summary="Capital raised and rounds per period",
        parameters=[StatsQuerySerializer],
    )
)
class FundingStatsViewSet(APIViewMixin, viewsets.GenericViewSet[FundingRound]):
    """One query: counts and USD sums grouped in SQL."""

    queryset = FundingRound.objects.all()
    filterset_class = RoundFilter
    serializer_class = FundingStatsSerializer
    pagination_class = None

    def list(self, request: Request) -> Response:
        # A plain dict: with a QueryDict, DRF would read `period=` as "not given".
        query = StatsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        period: str = query.validated_data["period"]
        group_by: str | None = query.validated_data.get("group_by")
        rounds = self.filter_queryset(self.get_queryset()).order_by()
        group = F(_GROUP_FIELDS[group_by]) if group_by else Value(None, output_field=CharField())
        rows = (
            rounds.annotate(period_start=Trunc("announced_on", period), group=group)
            .values("period_start", "group")
            .annotate(count=Count("id"), amount_usd=Sum("amount_usd"), changed=Max("updated_at"))
            .order_by("period_start", F("group").asc(nulls_last=True))
        )
        results = []
        for row in rows:
            results.append(
                {
                    "period_start": row["period_start"],
                    "group": row["group"] or None,
                    "count": row["count"],
                    "amount_usd": plain(row["amount_usd"] and row["amount_usd"].quantize(CENTS)),
                }
            )
            if self.last_modified is None or row["changed"] > self.last_modified:
                self.last_modified = row["changed"]
        return Response({"period": period, "group_by": group_by, "results": results})
