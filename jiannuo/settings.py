"""Django settings for Jiannuo, read from the environment (healthchecks style).

Two modes: ``JIANNUO_ENV=demo`` (the default: SQLite in the data directory, plain HTTP on
127.0.0.1) and ``JIANNUO_ENV=production`` (HTTPS-only cookies, HSTS, a required SECRET_KEY and
ALLOWED_HOSTS; ``manage.py check --deploy`` passes). ``DATABASE_URL`` selects PostgreSQL.
See docs/settings.md for every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as _csp_nonce
from django.utils.translation import gettext_lazy as _

from jiannuo.core.clients import parse_networks as _parse_networks


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.getenv("JIANNUO_DATA_DIR", Path.cwd() / "var")).resolve()
PRODUCTION = os.getenv("JIANNUO_ENV", "demo") == "production"
DEBUG = envbool("DEBUG", "0")


def _kept_key(name: str, make) -> str:
    """A random key kept in the data directory (demo and tests), made once: written to a
    private temporary file and linked into place, so processes starting together (gunicorn
    workers, parallel tests) all read the same complete key."""
    path = DATA_DIR / name
    if not path.exists():
        import tempfile

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=DATA_DIR, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(make())
            os.link(tmp, path)  # fails if another process was first: theirs is kept
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _secret_key() -> str:
    if key := os.getenv("SECRET_KEY"):
        return key
    # Demo and tests: a random key kept in the data directory, never a constant in the code.
    from django.core.management.utils import get_random_secret_key

    return _kept_key("secret_key", lambda: get_random_secret_key() + get_random_secret_key())


SECRET_KEY = _secret_key()


def _audit_key() -> str:
    """The key that seals the audit log (HMAC). It must not be in the database: someone who
    can rewrite the database must not be able to re-seal a rewritten log. Production takes it
    from the environment (required, see below); the demo and tests keep a random one in the
    data directory, like SECRET_KEY."""
    if key := os.getenv("AUDIT_KEY"):
        return key
    import secrets

    return _kept_key("audit_key", lambda: secrets.token_urlsafe(48))


AUDIT_KEY = _audit_key()
ALLOWED_HOSTS = [h.strip() for h in os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks, comma-separated;
# jiannuo/core/clients.py). Empty: the header is ignored and REMOTE_ADDR is the client.
TRUSTED_PROXIES = _parse_networks(os.getenv("TRUSTED_PROXIES", ""))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "jiannuo.core",
    "jiannuo.accounts",
    "jiannuo.organisation",
    "jiannuo.opinions",
    "jiannuo.pledges",
    "jiannuo.signing",
    "jiannuo.bulletin",
    "jiannuo.supervision",
    "jiannuo.evaluation",
    "jiannuo.accountability",
    "jiannuo.reports",
    "jiannuo.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "jiannuo.core.guards.InputGuardMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jiannuo.accounts.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jiannuo.urls"
WSGI_APPLICATION = "jiannuo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiannuo.core.context.navigation",
            ],
        },
    }
]

if os.getenv("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django turns psycopg's prepared statements off (for transaction-mode poolers). Its own
        # cursors bind on the client and never prepare; the few hot statements that ask for it
        # (the phone ballot path) are planned once per connection. A transaction-mode pooler
        # older than PgBouncer 1.21: set DATABASE_PREPARED_STATEMENTS=0.
        if os.getenv("DATABASE_PREPARED_STATEMENTS", "1") != "0":
            DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "jiannuo.sqlite3",
            # IMMEDIATE transactions and a busy timeout: concurrent writers queue instead of
            # failing with "database is locked" (RECIPES.md).
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds throttle counters (ceremony check-in). Files in the data directory are shared
# by all gunicorn workers of one machine and need no server; CACHE_DIR moves them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.getenv("CACHE_DIR", str(DATA_DIR / "cache")),
    }
}

# Every list of the API is paginated (docs/api.md): ?limit= (default 100, at most 500)&offset=.
NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 500

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jiannuo.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:todo"
LOGOUT_REDIRECT_URL = "core:home"

# Log-in hardening: lock a user name out after repeated failures (django-axes).
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", "15"))
# Lock a user name after repeated failures from anywhere, and one client (address and browser)
# that sprays passwords over many user names.
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "user_agent"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
# Activation slips of village cadres' log-ins (and password resets): days a code stays valid.
ACTIVATION_VALID_DAYS = envint("ACTIVATION_VALID_DAYS", "14")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SESSION_HOURS", "8") * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp). Scripts only from our own static
# files (htmx, ECharts, jiannuo/*.js): no inline script, no eval; a template that truly needs
# an inline script nonces it with {{ request.csp_nonce }}. Inline styles stay allowed: ECharts
# writes style attributes into its tooltips and they cannot run code (docs/ARCHITECTURE.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", _csp_nonce],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    if not os.getenv("SECRET_KEY"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("JIANNUO_ENV=production needs SECRET_KEY in the environment")
    if not os.getenv("AUDIT_KEY"):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "JIANNUO_ENV=production needs AUDIT_KEY in the environment (it seals the audit log "
            "and must be kept outside the database)"
        )
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")
    # Behind a TLS-terminating reverse proxy (nginx) that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.getenv("JIANNUO_MEDIA_DIR", DATA_DIR / "media"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ROSTER_MAX_BYTES = envint("ROSTER_MAX_BYTES", str(2 * 1024 * 1024))
# Scans of originals, progress evidence and bulletin photos (jiannuo/core/uploads.py).
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))
ROSTER_MAX_ROWS = envint("ROSTER_MAX_ROWS", "5000")

# The site's public address, printed in the QR code of paper letters (verification page). It
# must be absolute: required in production (``jiannuo doctor``), the local address in the demo.
PUBLIC_BASE_URL = os.getenv(
    "PUBLIC_BASE_URL", "" if PRODUCTION else "http://127.0.0.1:8000"
).rstrip("/")

OTP_TOTP_ISSUER = "践诺 Jiannuo"
# Decision roles (district administrator, township secretary and deputy, assessment group)
# must log in with a TOTP code: on by default in production, off in the demo.
JIANNUO_TWO_FACTOR_REQUIRED = envbool("JIANNUO_TWO_FACTOR_REQUIRED", "1" if PRODUCTION else "0")
# API tokens expire this many days after they are made.
JIANNUO_TOKEN_DAYS = envint("JIANNUO_TOKEN_DAYS", "90")

JIANNUO_SITE_NAME = _("Jiannuo")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}
