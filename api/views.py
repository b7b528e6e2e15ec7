"""What every API view shares: input hygiene and conditional GETs."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from rest_framework.exceptions import MethodNotAllowed, ParseError, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class APIViewMixin(APIView):
    """Rejects NUL characters (no database stores them) and answers conditional GETs.

    A 200 GET carries a strong `ETag` of its body and, when the view sets
    `self.last_modified`, `Last-Modified`; `If-None-Match` / `If-Modified-Since`
    then get a 304.
    """

    last_modified: datetime | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.query_params.lists()
        ):
            raise ParseError("NUL characters are not allowed in URLs.")
        if request.method not in self.allowed_methods:
            # Before content negotiation, so that the answer is a 405 whatever `format` says.
            raise MethodNotAllowed(str(request.method))
        if request.query_params.get("format") == "":
            raise ValidationError({"format": ["Give a format or leave the parameter out."]})
        super().initial(request, *args, **kwargs)

    def finalize_response(  # type: ignore[override]  # CSV streams and 304s are not Responses
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            request.method not in {"GET", "HEAD"}
            or response.status_code != 200
            or not isinstance(response, Response)
        ):
            return response
        response.render()
        etag = quote_etag(hashlib.blake2b(response.content, digest_size=16).hexdigest())
        response["ETag"] = etag
        timestamp = None
        if self.last_modified is not None:
            timestamp = int(self.last_modified.timestamp())
            response["Last-Modified"] = http_date(timestamp)
        conditional = get_conditional_response(
            request, etag=etag, last_modified=timestamp, response=response
        )
        return conditional or response
