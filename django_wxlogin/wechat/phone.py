"""Users' phone numbers: from the code of ``<button open-type="getPhoneNumber">`` (WeChat's
``getuserphonenumber``, with the managed access token), or from the legacy encrypted payload
(decrypted with :mod:`.decryption`). Both carry the same three fields.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ..exceptions import InvalidCode, InvalidPhoneCode, WeChatUnavailable
from ..models import WxUser
from ..settings import WxApp
from . import access_token

logger = logging.getLogger("django_wxlogin.phone")

_NUMBER = re.compile(r"\+?[0-9][0-9 -]{2,30}")
_DIGITS = re.compile(r"[0-9]{3,20}")
_COUNTRY = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True)
class PhoneNumber:
    phone_number: str  # with the country code for numbers outside mainland China
    pure_phone_number: str  # without it
    country_code: str  # WeChat sends a string or a number; always a string here


def parse_phone_info(info: Any) -> PhoneNumber | None:
    """The number in WeChat's ``phone_info`` or a decrypted legacy payload, if it holds one."""
    if not isinstance(info, dict):
        return None
    number, pure, country = (info.get("phoneNumber"), info.get("purePhoneNumber"),
                             info.get("countryCode"))
    if isinstance(country, int) and not isinstance(country, bool):
        country = str(country)
    if not (isinstance(number, str) and _NUMBER.fullmatch(number)
            and isinstance(pure, str) and _DIGITS.fullmatch(pure)
            and isinstance(country, str) and _COUNTRY.fullmatch(country)):
        return None
    return PhoneNumber(number, pure, country)


def fetch_phone_number(app: WxApp, code: str) -> PhoneNumber:
    """Trade a getPhoneNumber code (single use, 5 minutes) for the user's phone number."""
    try:
        data = access_token.for_app(app).request(
            "POST", "/wxa/business/getuserphonenumber", json={"code": code}
        )
    except InvalidCode as exc:
        raise InvalidPhoneCode(errcode=exc.errcode) from None
    phone = parse_phone_info(data.get("phone_info"))
    if phone is None:
        logger.warning("WeChat getuserphonenumber answered without a usable phone_info")
        raise WeChatUnavailable()
    return phone


def save_phone_number(wxuser: WxUser, phone: PhoneNumber) -> None:
    """Store the number on the identity (one UPDATE, nothing else touched)."""
    WxUser.objects.filter(pk=wxuser.pk).update(phone_number=phone.phone_number,
                                               updated_at=timezone.now())
    wxuser.phone_number = phone.phone_number
