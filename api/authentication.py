"""API tokens: django-rest-knox keeps only a SHA-512 digest of each token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <key>`; one query (token and user) per request.

    Knox would also sweep the user's other expired tokens on every request
    (a query more); Roundbook's tokens do not expire, an admin revokes them.
    """

    def authenticate_credentials(self, token: bytes) -> tuple[AbstractBaseUser, AuthToken]:
        try:
            token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        result: tuple[AbstractBaseUser, AuthToken] = super().authenticate_credentials(token)
        return result

    def _cleanup_token(self, auth_token: Any) -> bool:
        return False


def token_create(*, user: AbstractBaseUser) -> str:
    """A new API token for `user`. Only its digest is stored: this is the one chance to read it."""
    _, token = AuthToken.objects.create(user=user, expiry=None)
    return str(token)
