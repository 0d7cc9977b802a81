from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from jiannuo.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    """``Authorization: Bearer jn_…`` — a token created on the account's security page."""

    def authenticate(self, request, token):
        row = ApiToken.usable(token)  # neither revoked nor expired
        if row is None or not row.user.is_active:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


AUTH = [SessionAuth(), TokenAuth()]
