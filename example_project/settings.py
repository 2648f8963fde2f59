"""Settings of the example project, all from the environment (see README)."""

import json
import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


# manage.py (runserver, migrate, shell) is for development: DEBUG defaults on there. Anything else
# that serves the project (gunicorn, uwsgi) runs with DEBUG off unless DJANGO_DEBUG says so.
DEBUG = env_bool("DJANGO_DEBUG", Path(sys.argv[0]).name == "manage.py")
# The built-in fake WeChat: under "manage.py runserver" with DEBUG on, or when asked for here.
FAKE_WECHAT = env_bool("WXLOGIN_FAKE_WECHAT", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "insecure-example-key-change-me" if DEBUG else ""
)
if not SECRET_KEY:
    sys.exit("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
                 .split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_wxlogin",
    "example_project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_wxlogin.web.middleware.WxSessionMiddleware",  # request.user from web login
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASES = {"default": dj_database_url.parse(
    os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'example.sqlite3'}"),
    conn_max_age=60,
)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}  # emoji nicknames: 4 bytes a character

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

WXLOGIN = {
    "TOKEN_TTL": int(os.environ.get("WXLOGIN_TOKEN_TTL", 7 * 24 * 3600)),
    "SINGLE_SESSION": env_bool("WXLOGIN_SINGLE_SESSION", True),
    # On here, to show every way in; the package's default is off.
    "PASSWORD_LOGIN": env_bool("WXLOGIN_PASSWORD_LOGIN", True),
    "REQUIRE_ACCOUNT": env_bool("WXLOGIN_REQUIRE_ACCOUNT", False),
}
# Scan to log in: the mini program's confirm page the code opens, and the code's lifetime.
WXLOGIN["SCAN_PAGE"] = os.environ.get("WXLOGIN_SCAN_PAGE", "pages/scan/confirm")
WXLOGIN["SCAN_TTL"] = int(os.environ.get("WXLOGIN_SCAN_TTL", 120))
# Each rate unset: the package's default.
for rate in ("LOGIN_RATE", "PASSWORD_RATE", "ACCOUNT_RATE", "SCAN_RATE"):
    if f"WXLOGIN_{rate}" in os.environ:
        WXLOGIN[rate] = os.environ[f"WXLOGIN_{rate}"] or None  # empty: no limit
if os.environ.get("WXLOGIN_API_BASE_URL"):
    WXLOGIN["API_BASE_URL"] = os.environ["WXLOGIN_API_BASE_URL"]
if os.environ.get("WXLOGIN_CONTENT_CHECKS"):  # "wechat", or a ContentChecker's dotted path
    WXLOGIN["CONTENT_CHECKS"] = os.environ["WXLOGIN_CONTENT_CHECKS"]
# Otherwise the real WeChat (the package's default), unless example_project.apps starts the fake.
if FAKE_WECHAT:  # asked for explicitly: wxlogin.E023 would refuse it with DEBUG off
    SILENCED_SYSTEM_CHECKS = ["wxlogin.E023"]
if os.environ.get("WXLOGIN_OPEN_BASE_URL"):  # WeChat's login pages (web login)
    WXLOGIN["OPEN_BASE_URL"] = os.environ["WXLOGIN_OPEN_BASE_URL"]
if os.environ.get("WXLOGIN_APPS"):  # several apps: "NAME:APPID:SECRET[:KIND],..."
    WXLOGIN["APPS"] = [dict(zip(("NAME", "APPID", "SECRET", "KIND"), app.split(":", 3),
                                strict=False)) for app in os.environ["WXLOGIN_APPS"].split(",")
                       if app]
else:
    WXLOGIN["APPID"] = os.environ.get("WXLOGIN_APPID", "wx0000000000000000")
    WXLOGIN["SECRET"] = os.environ.get("WXLOGIN_SECRET", "example-secret")
    if os.environ.get("WXLOGIN_API_SECURITY"):  # JSON; its keys as "env:NAME" or "file:/path"
        WXLOGIN["API_SECURITY"] = json.loads(os.environ["WXLOGIN_API_SECURITY"])

if os.environ.get("WXLOGIN_PUSH"):  # message push: "NAME:TOKEN:ENCODING_AES_KEY[:json|xml],..."
    if "APPS" not in WXLOGIN:  # one mini program: an APPS entry of its own, named for push/<app>/
        WXLOGIN["APPS"] = [{"APPID": WXLOGIN.pop("APPID"), "SECRET": WXLOGIN.pop("SECRET"),
                            "NAME": os.environ["WXLOGIN_PUSH"].split(":", 1)[0]}]
    for spec in filter(None, os.environ["WXLOGIN_PUSH"].split(",")):
        name, token, aes_key, *fmt = spec.split(":")
        for entry in WXLOGIN["APPS"]:
            if name in (entry.get("NAME"), entry["APPID"]):
                entry.update(TOKEN=token, ENCODING_AES_KEY=aes_key,
                             PUSH_FORMAT=(fmt or ["json"])[0])

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["django_wxlogin.authentication.WxTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "django_wxlogin.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "django-wxlogin example API",
    "DESCRIPTION": "WeChat Mini Program login: POST /wx/login/ with the code from wx.login(), "
                   "then send the token as Authorization: Bearer <token>.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package: no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # With DEBUG off the schema and Swagger UI are for staff (logged in through the admin).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny" if DEBUG
                          else "rest_framework.permissions.IsAdminUser"],
    "SERVE_AUTHENTICATION": ["rest_framework.authentication.SessionAuthentication"],
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_wxlogin": {"handlers": ["console"], "level": "INFO"}},
}
