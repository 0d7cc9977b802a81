from django.contrib.auth.models import User


def system_user() -> User:
    """The account that commands (demo loader, scheduled jobs) act as: it cannot log in."""
    user, created = User.objects.get_or_create(
        username="system", defaults={"is_superuser": True, "is_active": False, "first_name": "系统"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
