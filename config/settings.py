"""Settings, all read from the environment in this one place (12-factor).

With nothing set, the site runs in development mode on a SQLite file in the project folder.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from capital.public_address import why_not_public_https

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DEBUG is false but SECRET_KEY is the development default. "
        "Set SECRET_KEY to a long random value before serving the site."
    )
# Keys that encrypt personal data at rest (capital/encryption.py): comma-separated, the first
# encrypts, every one decrypts. Each is combined with SECRET_KEY, so a changed SECRET_KEY keeps
# the old one in SECRET_KEY_FALLBACKS until `manage.py reencrypt_fields` has run (docs/deploy.md).
DEVELOPMENT_FIELD_ENCRYPTION_KEY = "development-only-field-encryption-key"
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", DEVELOPMENT_FIELD_ENCRYPTION_KEY if DEBUG else "")
if not DEBUG and (not FIELD_ENCRYPTION_KEYS or DEVELOPMENT_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "DEBUG is false but FIELD_ENCRYPTION_KEYS is not set (or holds the development key). "
        "Set it to a long random value: it encrypts dates of birth, bank details and two-factor secrets."
    )
SALT_KEY = FIELD_ENCRYPTION_KEYS  # django-fernet-encrypted-fields' name for them
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialise writers up front instead of failing with "database is locked" when a request
    # upgrades a read transaction to a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    # The tests' database: in memory unless named (`make test-fast` names a file, so that the
    # next run can reuse it instead of migrating again).
    if os.environ.get("TEST_DATABASE_NAME"):
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["TEST_DATABASE_NAME"]

INSTALLED_APPS = [
    "capital",
    "shares",
    "investors",
    "governance",
    "cms",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "health_check",
    "djmoney",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's two-factor pages use it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (no inline script or style) and Permissions-Policy on every response.
    "capital.middleware.ContentSecurityPolicyMiddleware",
    "capital.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page a logged-in person sees is sent with Cache-Control: no-store.
    "capital.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Board sessions last a working day; board and staff set up two-factor before the admin.
    "investors.accounts.middleware.BoardSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Media (stored documents, logos, uploads) on S3-compatible storage when MEDIA_S3_BUCKET is set
# (AWS, MinIO, Ceph, …: MEDIA_S3_ENDPOINT_URL for one that is not AWS); files are private and
# reached through signed links or the site's own downloads. Otherwise under MEDIA_ROOT.
if os.environ.get("MEDIA_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["MEDIA_S3_BUCKET"],
            "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("MEDIA_S3_REGION") or None,
            "access_key": os.environ.get("MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("MEDIA_S3_PREFIX", ""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Commonshare <noreply@localhost>")
# For django.core.mail.backends.filebased.EmailBackend: a folder every process writes its mail to.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))

# Money: every amount is a django-money Money; the society's currency wins over this default.
DEFAULT_CURRENCY = "GBP"
CURRENCIES = ("GBP", "EUR")

# Background work through the Tasks API: the database backend, served by `manage.py db_worker`.
# Each kind of work has its queue, so a certificate never waits behind Wagtail's housekeeping:
# documents (certificates, statements, summaries), mail (holder emails), refunds (card refunds
# through Stripe), and housekeeping (Wagtail's reference index and file clean-up), served last.
TASK_QUEUES = ["default", "documents", "mail", "refunds", "housekeeping"]
# A document job is split into chunks of this many documents, which any number of workers take.
DOCUMENT_CHUNK_SIZE = int(os.environ.get("DOCUMENT_CHUNK_SIZE", "25"))
# TASKS_BACKEND=rq is the scale-out option: RQ on Redis (REDIS_URL) through django-tasks-rq,
# served by `manage.py rqworker QUEUE…`; the database backend stays the default.
TASK_BACKENDS = {"db": "django_tasks_db.DatabaseBackend", "rq": "django_tasks_rq.RQBackend"}
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "db")
TASKS = {
    "default": {
        "BACKEND": TASK_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND),
        "QUEUES": TASK_QUEUES,
    }
}
# A document chunk or a refund can take minutes; RQ would stop a job after 180 s.
RQ_QUEUES = {
    queue: {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 3600}
    for queue in TASK_QUEUES
}

# The daily jobs (investors/daily.py): when the self-queuing task runs each day, local time.
DAILY_AT = os.environ.get("DAILY_AT", "06:00")

# Card payments. With no secret key, card payment says it is not configured; bank transfers work.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # a test server such as localstripe
STRIPE_JS_URL = os.environ.get(
    "STRIPE_JS_URL",
    f"{STRIPE_API_BASE.rstrip('/')}/js.stripe.com/v3/" if STRIPE_API_BASE else "https://js.stripe.com/v3/",
)

# Content-Security-Policy (django-csp): scripts, styles, fonts and frames from this site only, never
# inline; the card page adds Stripe's script, frames and API (investors/payments/views.py), an offer
# page may frame the video hosts below. Wagtail's admin still needs inline scripts and styles in some
# widgets, so under /admin/ they are allowed (capital/middleware.py says which and why).
VIDEO_EMBED_ORIGINS = [
    "https://www.youtube.com",
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the two-factor set-up's QR code; blob: for Wagtail's image previews.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'", *VIDEO_EMBED_ORIGINS],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
CSP_RELAXED_PREFIXES = ["/admin/"]
CSP_RELAXED_UPDATE = {"script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"]}
# Permissions-Policy: device features no page uses are switched off, for the page and any frame in it.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "usb": [],
    "payment": ["self", "https://js.stripe.com"],
}

WAGTAIL_SITE_NAME = "Commonshare"
WAGTAILADMIN_BASE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# No avatars from Gravatar: nobody's address goes to another site, and the admin's images stay 'self'.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]

LOGIN_URL = "account:login"
LOGIN_REDIRECT_URL = "account:dashboard"
LOGOUT_REDIRECT_URL = "/"
# Wagtail's admin logs in through the same page (with its two-factor step) as everyone else.
WAGTAILADMIN_LOGIN_URL = "/account/login/"
WAGTAIL_FRONTEND_LOGIN_URL = "/account/login/"

# --- Accounts: django-allauth (sign-up, verifying and changing an address, login, logout, -------
# password reset and change, two-factor). Sign-up asks a name and an address, no password: the
# owner of the address chooses it on the page the emailed link opens, which also verifies the
# address; an account logs in only once its address is verified. A new address waits for its
# link (followed by the account's owner, logged in) while the old one stays in use
# (investors/accounts/services.py says what each step promises).
# allauth's backend is Django's ModelBackend (permissions included) signing in by username or address.
# (investors.accounts.backends: allauth's, checking a password once per login, so that a wrong
# password takes as long for an address with an account as for one without.)
AUTHENTICATION_BACKENDS = ["investors.accounts.backends.AuthenticationBackend"]
ACCOUNT_ADAPTER = "investors.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "investors.accounts.forms.LoginForm",
    "signup": "investors.accounts.forms.SignUpForm",
}
ACCOUNT_LOGIN_METHODS = {"email", "username"}  # investors by address, board members either way
ACCOUNT_SIGNUP_FIELDS = ["email*"]  # and our name; no password1, so it stays unusable until chosen
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CHANGE_EMAIL = True  # one address per account; a new one replaces it once verified
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # opening a link (mail scanners do) changes nothing
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3  # as long as a password-reset link
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = None  # "Keep me logged in" is asked; unticked, the session ends with the browser
ACCOUNT_RATE_LIMITS = {
    # Per client address and per account: the sixth wrong password in five minutes is refused,
    # whatever comes after it, until the window passes.
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "10/m/ip,50/h/ip",
    "reset_password": "10/m/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    # Verification links sent to one address (sign-up, sign-up again, a new address): more are
    # skipped silently, the links already sent still work.
    "confirm_email": "5/h/key",
    # "You already have an account" reminders to one address, whoever signs it up: skipped silently.
    "account_exists_email": "3/h/key",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    # Ours, answered with a "wait a moment" page: "send the link again" and changing one's
    # address (investors/accounts/views.py).
    "resend_verification": "10/m/ip,3/h/key",
    "change_email": "5/m/user,3/h/key",
}
MFA_ADAPTER = "investors.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Commonshare"
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# Sessions: an investor's lasts two weeks at most (or until the browser closes, unless they
# ticked "Keep me logged in"); a board member's or staff member's lasts a working day and ends
# when the browser closes (investors/accounts/middleware.py).
SESSION_COOKIE_AGE = 14 * 24 * 3600
BOARD_SESSION_SECONDS = int(os.environ.get("BOARD_SESSION_SECONDS", str(9 * 3600)))

# The cache keeps the rate limits' counts: on Redis when REDIS_URL is set, so every process and
# server counts together; in this process's memory otherwise (development and tests).
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "commonshare"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The public simulators (`/api/v1/…/simulate`): requests per client address.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "60/m")
# How many proxies in front of the site add X-Forwarded-For (0: none; the client is REMOTE_ADDR).
# Rate limits and the API's throttle count per client address from it; never trust the header more.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
NINJA_NUM_PROXIES = TRUSTED_PROXY_COUNT

# HTTPS in production: the site redirects to it, tells browsers to keep to it (HSTS) and sends
# cookies only over it. X-Forwarded-Proto is believed only when a proxy is said to be in front.
SITE_URL = WAGTAILADMIN_BASE_URL
if not DEBUG and (problem := why_not_public_https(SITE_URL)):
    raise ImproperlyConfigured(
        f"SITE_URL is {SITE_URL!r}: {problem}. Set it to the site's public https address, e.g. "
        "https://shares.example.coop: it goes into every emailed link and certificate (commonshare.E001)."
    )
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer probes over plain http
# /healthz warns about a task queue whose oldest task has waited longer than this (seconds).
HEALTH_QUEUE_WAIT_WARNING = int(os.environ.get("HEALTH_QUEUE_WAIT_WARNING", "600"))
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("stripe", "weasyprint", "fontTools", "django_tasks", "wagtail")
    },
}
