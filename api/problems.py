"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error under /api/ has the same shape: `type`, `title`, `status`,
`detail`, and for invalid input `errors`, a list of messages per parameter or
field (nested fields as `investors[0].slug`). Nothing internal (stack, SQL)
is ever shown.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from api.renderers import ProblemJSONRenderer

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
NON_FIELD = "non_field_errors"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is larger than the {limit:,} bytes the API accepts.")


def problem(
    status_code: int, detail: str, *, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as one flat mapping: `{"investors[0].slug": ["..."]}`."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a list serializer's errors, by item
                path = f"{prefix}[{key}]"
            elif key in {NON_FIELD, "__all__"} and not prefix:
                path = NON_FIELD
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub, messages in field_errors(value, path).items():
                flat.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            flat[prefix or NON_FIELD] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(field_errors(item, f"{prefix}[{index}]"))
    else:
        flat[prefix or NON_FIELD] = [str(detail)]
    return flat


def _as_api_exception(exc: Exception) -> exceptions.APIException:  # noqa: PLR0911
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        return PayloadTooLarge()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict("Other records refer to this one; remove or reassign them first.")
    if isinstance(exc, IntegrityError):
        return Conflict("The change conflicts with existing data.")
    if isinstance(exc, DataError | OverflowError):
        return exceptions.ValidationError({NON_FIELD: ["A value is out of the supported range."]})
    logger.exception("Unhandled API error", exc_info=exc)
    return exceptions.APIException()


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's exception handler: every error becomes a problem+json response."""
    api_exc = _as_api_exception(exc)
    headers: dict[str, str] = {}
    if auth_header := getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if (wait := getattr(api_exc, "wait", None)) is not None:
        headers["Retry-After"] = str(int(wait))

    if isinstance(api_exc, exceptions.ValidationError):
        errors = field_errors(api_exc.detail)
        first_field, messages = next(iter(errors.items()), (NON_FIELD, ["Invalid input."]))
        detail = messages[0] if first_field == NON_FIELD else f"{first_field}: {messages[0]}"
        body = problem(api_exc.status_code, detail, errors=errors)
    else:
        detail = api_exc.detail if isinstance(api_exc.detail, str) else str(api_exc.detail)
        body = problem(api_exc.status_code, str(detail))

    request = context.get("request")
    if request is not None:
        # Errors are problem+json whatever the client asked for (CSV, a 406...).
        request.accepted_renderer = ProblemJSONRenderer()
        request.accepted_media_type = PROBLEM_CONTENT_TYPE
    set_rollback()
    return Response(body, status=api_exc.status_code, headers=headers)


def problem_response(request: HttpRequest, status_code: int, detail: str) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(problem(status_code, detail)),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


@csrf_exempt  # a 404 whatever the method, not a CSRF 403
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any /api/ URL that no route serves: a problem+json 404 rather than an HTML page."""
    hint = ""
    if not request.path.endswith("/"):
        hint = f" Did you mean {request.path}/ ?"
    return problem_response(request, 404, f"No API resource at {request.path}.{hint}")
