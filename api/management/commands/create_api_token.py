from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.authentication import token_create


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print it, alone on the last line. Only a digest "
        "is stored: the token cannot be shown again (revoke it in the admin under Knox > Auth "
        "tokens)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()  # noqa: N806
        try:
            user = User._default_manager.get_by_natural_key(options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        if not user.is_active:
            raise CommandError(f"{options['username']!r} is inactive; activate the user first.")
        token = token_create(user=user)
        self.stdout.write(
            f"API token for {user.get_username()} (shown once; send it as "
            "'Authorization: Token <token>'):"
        )
        self.stdout.write(token)
