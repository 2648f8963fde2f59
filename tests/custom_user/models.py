"""A custom user model unlike auth.User: UUID primary key, a "handle" as the username."""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class Member(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    handle = models.CharField(max_length=80, unique=True)
    is_active = models.BooleanField(default=True)

    USERNAME_FIELD = "handle"
    objects = BaseUserManager()
