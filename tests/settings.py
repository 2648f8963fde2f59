"""Settings of the test suite: the real PostgreSQL and Redis of the machine.

``TEST_DATABASE_URL`` and ``TEST_REDIS_URL`` point elsewhere (``mysql://root@127.0.0.1:3306/test``
runs it on MySQL or MariaDB); nothing falls back to SQLite or a local-memory cache, so a missing
service fails the run.
"""

import os

import dj_database_url

SECRET_KEY = "test-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
LANGUAGE_CODE = "en"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",  # the admin's CSS and JS for the browser test's live server
    "rest_framework",
    "drf_spectacular",
    "django_wxlogin",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_wxlogin.web.middleware.WxSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASES = {"default": dj_database_url.parse(
    os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    # utf8mb4, as README tells MySQL users: emoji nicknames need four bytes a character.
    DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
CACHES = {"default": {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": REDIS_URL,
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
}}

WXLOGIN = {
    "APPID": "wxtestapp0000001",
    "SECRET": "s3cr3t-appsecret-never-logged",
    "API_BASE_URL": "http://127.0.0.1:9",  # replaced by the fake WeChat's URL in conftest
    "READ_TIMEOUT": 1.0,
    "CONNECT_TIMEOUT": 1.0,
    "PASSWORD_LOGIN": True,  # so that the schema tests and the fuzzer reach its endpoints
}
# WeChat is the fake, on loopback, with DEBUG off: the suite knows (see wxlogin.E023).
SILENCED_SYSTEM_CHECKS = ["wxlogin.E023"]
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "django_wxlogin.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {"COMPONENT_SPLIT_REQUEST": True, "SERVE_INCLUDE_SCHEMA": False}
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", "/tmp/django-wxlogin-test-media")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
