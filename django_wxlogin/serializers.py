"""Request validation and response shapes of the HTTP API."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import avatars
from .exceptions import InvalidSignature
from .models import WxSession, WxUser
from .settings import wxlogin_settings
from .wechat.signatures import verify_raw_data

_CODE = re.compile(r"[\x21-\x7e]{1,128}")
# Control (Cc), format (Cf: bidi overrides, zero-width characters) and line or paragraph
# separator (Zl, Zp) characters: invisible, they reorder or break what others see.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
ZERO_WIDTH_JOINER = "\u200d"
# What wx.getUserProfile hands out since late 2022 instead of the real nickname.
PLACEHOLDER_NICKNAME = "微信用户"


def _emoji_part(char: str) -> bool:
    """A symbol (So), a skin-tone modifier (Sk) or a variation selector (Mn U+FE0F)."""
    return unicodedata.category(char) in ("So", "Sk") or char == "\ufe0f"


def invisible_character(text: str) -> str | None:
    """The first character of ``HIDDEN_CATEGORIES`` in ``text``, or None; a zero-width joiner
    between two parts of an emoji (👩‍💻) is part of that emoji and passes."""
    for i, char in enumerate(text):
        if unicodedata.category(char) not in HIDDEN_CATEGORIES:
            continue
        if char == ZERO_WIDTH_JOINER and 0 < i < len(text) - 1 \
                and _emoji_part(text[i - 1]) and _emoji_part(text[i + 1]):
            continue
        return char
    return None


class BlankableURLField(serializers.CharField):
    """A URL that may be empty (no avatar yet). A CharField with URL validation rather than a
    URLField, so the schema says "string": OpenAPI's ``format: uri`` refuses the empty string."""

    default_error_messages = {"invalid_url": _("Enter a valid URL.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("An http(s) URL, or empty."))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except DjangoValidationError:
                self.fail("invalid_url")
        return value


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, lists and other non-strings instead of str()-ing them."""

    default_error_messages = {"invalid": _("Must be a string.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CodeSerializer(serializers.Serializer):
    """A one-time code from the mini program (wx.login, getPhoneNumber)."""

    code = StrictCharField(trim_whitespace=False, max_length=128)

    def validate_code(self, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise serializers.ValidationError(
                _("The code must be printable ASCII without spaces, at most 128 characters."),
                code="invalid_code_format",
            )
        return value


class AppSerializer(serializers.Serializer):
    """The mini program a login is for."""

    app = StrictCharField(required=False, allow_blank=True, max_length=64,
                          help_text=_("The mini program's NAME or APPID, when there are several."))


class LoginSerializer(CodeSerializer, AppSerializer):
    """A ``wx.login()`` code, and the mini program it is for."""


class CredentialsSerializer(serializers.Serializer):
    """An account's username and password, checked by Django's ``authenticate()``."""

    username = StrictCharField(max_length=254)
    password = StrictCharField(trim_whitespace=False, max_length=4096,
                               style={"input_type": "password"})


class PasswordLoginSerializer(CredentialsSerializer, AppSerializer):
    """An account's username and password, and the mini program the session is for."""


class BindSerializer(CredentialsSerializer):
    """The credentials of the account to bind to, and the bind ticket when there is no token."""

    bind_ticket = StrictCharField(
        required=False, max_length=128,
        help_text=_("The bind_ticket of a 403 account_required login; without it, the request "
                    "must carry the token of a WeChat login."))


class DecryptSerializer(serializers.Serializer):
    # Only shapes are checked here: everything about the content fails as one DecryptionFailed.
    encrypted_data = StrictCharField(trim_whitespace=False, max_length=65536)
    iv = StrictCharField(trim_whitespace=False, max_length=64)
    save_phone = serializers.BooleanField(default=False)


class PhoneNumberSerializer(serializers.Serializer):
    phone_number = serializers.CharField()
    pure_phone_number = serializers.CharField()
    country_code = serializers.CharField()


class LoginUserSerializer(serializers.ModelSerializer):
    """The user a token was issued to: a ``WxUser`` (the identity in the session's mini
    program) with its WeChat fields, or, after a password login of an account without one,
    the Django user with its ``id`` alone."""

    id = serializers.ReadOnlyField(source="user_id")
    # Not read-only, so that the schema marks them optional (responses only use this).
    openid = serializers.CharField(required=False)
    unionid = serializers.CharField(required=False, allow_null=True)
    nickname = serializers.CharField(required=False)
    avatar_url = BlankableURLField(required=False)

    class Meta:
        model = WxUser
        fields = ["id", "openid", "unionid", "nickname", "avatar_url"]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if isinstance(instance, WxUser):
            return super().to_representation(instance)
        return {"id": instance.pk}


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_type = serializers.CharField()
    expires_at = serializers.DateTimeField()
    expires_in = serializers.IntegerField()
    created = serializers.BooleanField(
        help_text=_("True when this login created the user's identity in this mini program."))
    user = LoginUserSerializer()


class ProfileSerializer(serializers.ModelSerializer):
    """``nickname`` and ``avatar_url`` as JSON, an ``avatar`` image file as multipart, or
    ``raw_data`` with its ``signature`` as wx.getUserProfile gives them (verified against the
    user's session_key; the "微信用户" placeholder WeChat sends since 2022 is not stored)."""

    id = serializers.ReadOnlyField(source="user_id")
    nickname = StrictCharField(required=False, allow_blank=True)
    avatar_url = BlankableURLField(required=False, allow_blank=True, max_length=512)
    avatar = serializers.ImageField(required=False, write_only=True)
    raw_data = StrictCharField(required=False, write_only=True, trim_whitespace=False,
                               max_length=4096)
    signature = StrictCharField(required=False, write_only=True, max_length=64)

    class Meta:
        model = WxUser
        fields = ["id", "openid", "unionid", "nickname", "avatar_url", "phone_number", "avatar",
                  "raw_data", "signature"]
        read_only_fields = ["id", "openid", "unionid", "phone_number"]

    def validate_nickname(self, value: str) -> str:
        value = value.strip()
        limit = wxlogin_settings.NICKNAME_MAX_LENGTH
        if len(value) > limit:
            raise serializers.ValidationError(
                _("The nickname is longer than %(limit)d characters.") % {"limit": limit},
                code="max_length",
            )
        hidden = invisible_character(value)
        if hidden is not None:
            raise serializers.ValidationError(
                _("The nickname contains an invisible or control character (U+%(code)04X): "
                  "remove it.") % {"code": ord(hidden)}, code="invisible_character")
        return value

    def validate_avatar(self, value: Any) -> Any:
        if value.size > wxlogin_settings.AVATAR_MAX_BYTES:
            raise serializers.ValidationError(
                _("The avatar is larger than %(limit)d bytes.")
                % {"limit": wxlogin_settings.AVATAR_MAX_BYTES},
                code="file_too_large",
            )
        image_format = getattr(getattr(value, "image", None), "format", None)
        if image_format not in avatars.STORED_AS:
            raise serializers.ValidationError(
                _("The avatar must be a JPEG, PNG, GIF or WebP image."), code="invalid_image"
            )
        return avatars.reencode(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "avatar" in attrs and "avatar_url" in attrs:
            raise serializers.ValidationError(
                _("Send either an avatar file or an avatar_url, not both.")
            )
        raw_data, signature = attrs.pop("raw_data", None), attrs.pop("signature", None)
        if raw_data is None and signature is None:
            return attrs
        if raw_data is None or signature is None or attrs:
            raise serializers.ValidationError(
                _("Send raw_data with its signature, and no other profile field.")
            )
        assert self.instance is not None  # a profile update always has its identity
        if not verify_raw_data(raw_data, signature, self.instance.session_key):
            raise InvalidSignature()
        return self._profile_from_raw_data(raw_data)

    def _profile_from_raw_data(self, raw_data: str) -> dict[str, Any]:
        try:
            profile = json.loads(raw_data)
        except (ValueError, RecursionError):
            profile = None
        if not isinstance(profile, dict):
            raise serializers.ValidationError({"raw_data": _("raw_data is not a JSON object.")})
        nickname, avatar_url = profile.get("nickName"), profile.get("avatarUrl")
        if nickname == PLACEHOLDER_NICKNAME:
            return {}  # a grey avatar comes with it: keep what the user set before
        attrs = {}
        try:
            if nickname is not None:
                attrs["nickname"] = self.validate_nickname(
                    self.fields["nickname"].run_validation(nickname))
            if avatar_url is not None:
                attrs["avatar_url"] = self.fields["avatar_url"].run_validation(avatar_url)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"raw_data": exc.detail}) from None
        return attrs


class SessionSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = WxSession
        fields = ["id", "current", "appid", "method", "surface", "created_at", "expires_at",
                  "last_seen_at", "user_agent", "ip_address"]
        read_only_fields = fields

    def get_current(self, session: WxSession) -> bool:
        current = getattr(self.context.get("request"), "auth", None)
        return current is not None and current.pk == session.pk
