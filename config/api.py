"""The API's URLs: /api/schema/, /api/docs/ and the resources under /api/v1/."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api.problems import not_found
from companies.api import CompanyViewSet, InvestorViewSet
from funding.api.views import (
    CompanyRoundViewSet,
    FundingStatsViewSet,
    InvestorRoundViewSet,
    RoundViewSet,
    ValuationViewSet,
)

router = SimpleRouter()
router.register("companies", CompanyViewSet, basename="company")
router.register(
    r"companies/(?P<company_slug>[^/]+)/rounds", CompanyRoundViewSet, basename="company-round"
)
router.register(
    r"companies/(?P<company_slug>[^/]+)/valuations", ValuationViewSet, basename="company-valuation"
)
router.register("investors", InvestorViewSet, basename="investor")
router.register(
    r"investors/(?P<investor_slug>[^/]+)/rounds", InvestorRoundViewSet, basename="investor-round"
)
router.register("rounds", RoundViewSet, basename="round")
router.register("stats/funding", FundingStatsViewSet, basename="funding-stats")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include(router.urls)),
    # Anything else under /api/ is a problem+json 404, never an HTML page.
    # [\s\S]: a path holding a line break is a problem+json 404 too, not the site's page.
    re_path(r"^(?P<path>[\s\S]*)\Z", not_found),
]
