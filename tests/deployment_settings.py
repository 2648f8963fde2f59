"""The example project as deployed at scale (the deployment tests and ``bench/scale.py`` run it
under gunicorn): ``example_project.settings`` and, from the environment,

- ``REPLICA_DATABASE_URL``: a read replica, read through ``tests.routers.PrimaryReplicaRouter``;
- ``REDIS_CLUSTER_URLS``: nodes of a Redis Cluster (comma-separated) for the cache;
- ``REDIS_SENTINELS``: ``host:port`` of sentinels (comma-separated) watching the primary named
  ``REDIS_SENTINEL_SERVICE``, for the cache;
- a ``mysql://`` ``DATABASE_URL``: MariaDB or MySQL, in utf8mb4;
- ``WXLOGIN_CACHE_RETRY_AFTER``.
"""

import os

import dj_database_url

from example_project.settings import *  # noqa: F403
from example_project.settings import CACHES, DATABASES, LOGGING, WXLOGIN

CACHE_OPTIONS = {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}

if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}

if os.environ.get("REPLICA_DATABASE_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["REPLICA_DATABASE_URL"],
                                                 conn_max_age=60)
    DATABASE_ROUTERS = ["tests.routers.PrimaryReplicaRouter"]

if os.environ.get("REDIS_CLUSTER_URLS"):
    CACHES["default"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ["REDIS_CLUSTER_URLS"],
        "OPTIONS": {"CLIENT_CLASS": "django_wxlogin.cache_clients.RedisClusterClient",
                    **CACHE_OPTIONS},
    }
elif os.environ.get("REDIS_SENTINELS"):
    CACHES["default"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://{os.environ['REDIS_SENTINEL_SERVICE']}/0",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.SentinelClient",
            "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
            "SENTINELS": [(item.rsplit(":", 1)[0], int(item.rsplit(":", 1)[1]))
                          for item in os.environ["REDIS_SENTINELS"].split(",")],
            **CACHE_OPTIONS,
        },
    }

WXLOGIN["CACHE_RETRY_AFTER"] = float(os.environ.get("WXLOGIN_CACHE_RETRY_AFTER", 5))
LOGGING["loggers"]["django.request"] = {"handlers": ["console"], "level": "ERROR"}
