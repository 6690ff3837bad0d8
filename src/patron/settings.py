"""Django settings for Patron, all driven by environment variables (see README)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from patron import config

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

DEBUG = config.env_flag("PATRON_DEBUG", False)
# Plain HTTP is for `make run` on loopback only; production sits behind TLS.
HTTPS = config.env_flag("PATRON_HTTPS", True)
SECRET_KEY = config.secret_key(DATA_DIR)
ALLOWED_HOSTS = config.env_list("PATRON_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = config.env_list("PATRON_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "huey.contrib.djhuey",
    "ninja",
    "patron.core",
    "patron.accounts",
    "patron.customers",
    "patron.interactions",
    "patron.commerce",
    "patron.analytics",
    "patron.segments",
    "patron.service",
    "patron.feedback",
    "patron.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "patron.core.middleware.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "patron.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "patron.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "patron.urls"
WSGI_APPLICATION = "patron.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "patron.web.context_processors.shell",
            ],
            "builtins": ["django.templatetags.i18n", "patron.core.templatetags.patron"],
        },
    }
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "patron.sqlite3",
            "OPTIONS": {
                # WAL lets readers and the job consumer work while a request writes;
                # IMMEDIATE takes the write lock up front so busy_timeout applies.
                # Reading the file through a memory map (up to 2 GB) spares a system call
                # per page: searches that touch thousands of rows take a third less time.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; "
                    "PRAGMA mmap_size=2147483648;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": os.environ.get("PATRON_TEST_SQLITE_NAME") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Jobs -------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
HUEY = {
    "name": "patron",
    "immediate": config.env_flag("PATRON_JOBS_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "jobs.sqlite3")}

# --- Users and authentication -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
# Failed logins allowed per email (and ten times that per address) in the window.
LOGIN_THROTTLE_FAILURES = int(os.environ.get("PATRON_LOGIN_THROTTLE_FAILURES", "5"))
LOGIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("PATRON_LOGIN_THROTTLE_WINDOW", "900"))

# --- Languages, time ------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("he", _("Hebrew")),
    ("ar", _("Arabic")),
    ("hy", _("Armenian")),
    ("ka", _("Georgian")),
    ("ms", _("Malay")),
]
LANGUAGES_BIDI = ["he", "ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_NAME = "patron_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
PATRON_DEFAULT_CURRENCY = os.environ.get("PATRON_CURRENCY", "USD")

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/uploads/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if config.env_flag("PATRON_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_ROOT.exists()

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "patron_session"
CSRF_COOKIE_NAME = "patron_csrftoken"
SESSION_COOKIE_AGE = 14 * 24 * 3600
SECURE_SSL_REDIRECT = HTTPS and config.env_flag("PATRON_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PATRON_LOG_LEVEL", "INFO")},
    "loggers": {"huey": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50

# --- Customers ----------------------------------------------------------------------------
# A customer or contact point not confirmed for this many days is flagged as stale.
PATRON_STALE_AFTER_DAYS = int(os.environ.get("PATRON_STALE_AFTER_DAYS", "365"))
# Largest upload the import wizard accepts (the CLI streams files of any size).
PATRON_IMPORT_MAX_UPLOAD_MB = int(os.environ.get("PATRON_IMPORT_MAX_UPLOAD_MB", "200"))

# --- Email (task reminders; later replies and surveys) ------------------------------------------
# SMTP when PATRON_SMTP_HOST is set; otherwise mail is written to the log (console), so a
# fresh `make run` never tries to reach a server that is not there.
EMAIL_HOST = os.environ.get("PATRON_SMTP_HOST", "").strip()
EMAIL_PORT = int(os.environ.get("PATRON_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("PATRON_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PATRON_SMTP_PASSWORD", "")
EMAIL_USE_TLS = config.env_flag("PATRON_SMTP_STARTTLS", False)
EMAIL_USE_SSL = config.env_flag("PATRON_SMTP_SSL", False)
EMAIL_TIMEOUT = 20
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("PATRON_MAIL_FROM", "Patron <patron@localhost>")
# Where links in emails point (reminders link to the task's customer).
PATRON_BASE_URL = os.environ.get("PATRON_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# The drip dialogue: a question the customer would rather not answer is not proposed again
# for this many days.
PATRON_QUESTION_SKIP_DAYS = int(os.environ.get("PATRON_QUESTION_SKIP_DAYS", "180"))

# Customer value (issue "Differentiate"): money figures are in PATRON_CURRENCY; orders in
# other currencies count through these rates ("EUR=1.08,GBP=1.27": 1 EUR = 1.08 of the
# default currency). Orders in a currency without a rate add no money.
PATRON_EXCHANGE_RATES = config.env_rates("PATRON_EXCHANGE_RATES")
# When the nightly refresh of the figures, segments and signals runs (cron fields, in the
# server's time zone): minute hour.
PATRON_REFRESH_AT = os.environ.get("PATRON_REFRESH_AT", "30 2")

# --- Service and feedback (issue "Serve and listen") ---------------------------------------
# The address customers write to and that ticket replies come from; inbound mail to it
# becomes tickets. Defaults to PATRON_MAIL_FROM.
PATRON_SUPPORT_EMAIL = os.environ.get("PATRON_SUPPORT_EMAIL", "").strip() or DEFAULT_FROM_EMAIL
# The domain of the Message-IDs of the mail we send (threading of the answers).
PATRON_MAIL_DOMAIN = os.environ.get("PATRON_MAIL_DOMAIN", "").strip() or "patron.localhost"
# An IMAP mailbox polled every few minutes for inbound mail (off when the host is empty).
PATRON_IMAP_HOST = os.environ.get("PATRON_IMAP_HOST", "").strip()
PATRON_IMAP_PORT = int(os.environ.get("PATRON_IMAP_PORT", "993"))
PATRON_IMAP_USER = os.environ.get("PATRON_IMAP_USER", "")
PATRON_IMAP_PASSWORD = os.environ.get("PATRON_IMAP_PASSWORD", "")
PATRON_IMAP_FOLDER = os.environ.get("PATRON_IMAP_FOLDER", "INBOX")
PATRON_IMAP_SSL = config.env_flag("PATRON_IMAP_SSL", True)
PATRON_IMAP_EVERY_MINUTES = int(os.environ.get("PATRON_IMAP_EVERY_MINUTES", "5"))
# Inbound messages larger than this are refused (and left unread in the mailbox).
PATRON_MAIL_MAX_MB = int(os.environ.get("PATRON_MAIL_MAX_MB", "25"))
# How often the SLA job looks for tickets at risk and breached, and how early (share of
# the target time left) a ticket counts as at risk.
PATRON_SLA_EVERY_MINUTES = int(os.environ.get("PATRON_SLA_EVERY_MINUTES", "5"))
PATRON_SLA_AT_RISK_SHARE = float(os.environ.get("PATRON_SLA_AT_RISK_SHARE", "0.25"))
# Public survey pages: answers per client address per hour before refusing (abuse).
PATRON_SURVEY_RATE_LIMIT = int(os.environ.get("PATRON_SURVEY_RATE_LIMIT", "30"))
# Reverse proxies whose X-Forwarded-For names the client (the rate limit counts clients,
# not the proxy). Loopback by default: `patron serve` behind nginx or Caddy on this host.
PATRON_TRUSTED_PROXIES = tuple(config.env_list("PATRON_TRUSTED_PROXIES", ["127.0.0.1", "::1"]))
