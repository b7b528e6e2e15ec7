"""OpenAPI: every operation documents the errors it can answer with, as problem+json."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from api.problems import PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer[Any]):
    """An error (RFC 9457 problem details)."""

    type = serializers.CharField(help_text='"about:blank": the status says what happened.')
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid input only: messages per parameter or field "
        "(nested fields as `investors[0].slug`; `non_field_errors` for the whole).",
    )


_WRITE = {"POST", "PUT", "PATCH", "DELETE"}
_ERRORS: dict[str, str] = {
    "400": "Invalid parameter, cursor or body; `errors` names each one.",
    "401": "Writes need `Authorization: Token <key>`; the token is missing or invalid.",
    "403": "The token's user lacks the permission for this change.",
    "404": "No such resource (or page).",
    "406": "The Accept header or `format` asks for a representation this endpoint lacks.",
    "409": "Other records still refer to this one.",
    "413": "The body is larger than the API accepts (2,621,440 bytes by default).",
    "415": "The body is not JSON (`Content-Type: application/json`).",
    "429": "Too many requests; retry after `Retry-After` seconds.",
}


class AutoSchema(openapi.AutoSchema):
    def _is_list_view(self, serializer: Any = None) -> bool:
        # A list action documenting several media types (JSON and CSV) is still a list:
        # it takes the filter and pagination parameters.
        if (
            serializer is None
            and getattr(self.view, "action", None) == "list"
            and isinstance(self.get_response_serializers(), dict)
        ):
            return True
        return bool(super()._is_list_view(serializer))

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        # An empty query parameter is a 400 (api.filters.FilterBackend): say so.
        filterset = getattr(self.view, "filterset_class", None)
        filters = filterset.base_filters if filterset else {}
        for parameter in (operation or {}).get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter["in"] != "query":
                continue
            if schema.get("type") == "string":
                schema.setdefault("minLength", 1)
            bound = filters.get(parameter["name"])
            for limit, keyword in (("minimum", "min_value"), ("maximum", "max_value")):
                if bound is not None and bound.extra.get(keyword) is not None:
                    schema[limit] = bound.extra[keyword]
        return operation

    def get_auth(self) -> list[dict[str, Any]]:
        # Reads are public: a token is optional there (`{}`), required for writes.
        auth: list[dict[str, Any]] = super().get_auth()
        if self.method not in _WRITE and {} not in auth:
            auth.append({})
        return auth

    def _error_codes(self) -> list[str]:
        codes = ["400", "404", "406", "429"]
        if self.method in _WRITE:
            codes += ["401", "403"]
        if self.method in {"POST", "PUT", "PATCH"}:
            codes += ["413", "415"]
        if self.method == "DELETE":
            codes.append("409")
        return sorted(codes)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code in responses:
                continue
            responses[code] = self._get_response_for_code(
                OpenApiResponse(ProblemSerializer, description=_ERRORS[code]),
                code,
                media_types=[PROBLEM_CONTENT_TYPE],
            )
        responses["429"]["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
        }
        if "401" in responses:
            responses["401"]["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Token`"}
            }
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition: dict[str, Any] = build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Token",  # noqa: S106 (the header scheme, not a secret)
        )
        return definition
