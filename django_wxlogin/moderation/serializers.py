"""The profile's answer with what of it is pending, shown to its owner only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..serializers import ProfileSerializer
from . import reviews


class PendingSerializer(serializers.Serializer):
    nickname = serializers.CharField(
        allow_null=True, help_text=_("The nickname waiting for its check (null: none)."))
    avatar = serializers.BooleanField(help_text=_("Whether an avatar waits for its check."))

    def get_attribute(self, instance: Any) -> Any:
        return reviews.pending_for(instance)


class ProfileAnswerSerializer(ProfileSerializer):
    """The published profile (what others see), and ``pending``: what waits for a check."""

    pending = PendingSerializer(read_only=True)

    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "pending"]
