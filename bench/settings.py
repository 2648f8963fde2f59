"""Settings of the benchmark: the peers installed next to django-wxlogin, one PostgreSQL, one
Redis. ``BENCH_DATABASE_URL`` and ``BENCH_REDIS_URL`` point elsewhere (never the test ones: the
benchmark flushes its Redis database)."""

import os
from datetime import timedelta

import dj_database_url

SECRET_KEY = "bench-secret-key-not-for-production"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework.authtoken",
    "knox",
    "rest_framework_simplejwt",
    "django_wxlogin",
]
# What an API-only project keeps: no sessions, no CSRF, no messages.
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "bench.wsgi.application"

DATABASES = {"default": dj_database_url.parse(
    os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"),
    conn_max_age=600,
)}
CACHES = {"default": {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
}}
if os.environ.get("BENCH_REDIS_CLUSTER_URLS"):  # bench/scale.py: the same, on a Redis Cluster
    CACHES["cluster"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ["BENCH_REDIS_CLUSTER_URLS"],
        "OPTIONS": {"CLIENT_CLASS": "django_wxlogin.cache_clients.RedisClusterClient",
                    "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }

WXLOGIN = {
    "CACHE_ALIAS": os.environ.get("BENCH_CACHE_ALIAS", "default"),
    "APPID": "wxbench000000001",
    "SECRET": "bench-appsecret",
    # The fake WeChat's URL is set by bench/run.py once it listens.
    "API_BASE_URL": os.environ.get("WXLOGIN_API_BASE_URL", "http://127.0.0.1:9"),
    "LOGIN_RATE": None,  # the benchmark logs in from one address many times a second
    "LOCAL_CACHE": True,  # the default; bench/urls.py turns it off per request for one scheme
}
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SIMPLE_JWT = {"ACCESS_TOKEN_LIFETIME": timedelta(days=1), "SIGNING_KEY": SECRET_KEY}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"handlers": [], "level": "WARNING"}}
