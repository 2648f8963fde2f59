"""What server-API security adds to one WeChat call, on this machine: sealing a request
(AES-256-GCM, RSA-PSS signature with the app's 2048-bit key) and opening an answer (signature
verified against the platform certificate, decryption). The network round trip to WeChat,
tens of milliseconds, is not included.

    python3 bench/api_security.py [--calls N]

Prints the median and 95th percentile per step in microseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django_wxlogin.wechat.api_security import envelope
from django_wxlogin.wechat.fake.api_security import FakeAppSecurity

APPID, URLPATH = "wxbench000000001", "https://api.weixin.qq.com/wxa/business/getuserphonenumber"


def timed(step: Callable[[int], Any], calls: int) -> tuple[float, float]:
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        step(i)
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls
    keys = FakeAppSecurity.generate()
    platform_key = keys.platform[0][1]
    answer = {"errcode": 0, "errmsg": "ok", "phone_info": {
        "phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": 86}}
    now = int(time.time())
    aad = envelope.aad(URLPATH, APPID, now, keys.symmetric_sn)
    body = envelope.seal(keys.symmetric_key, aad, envelope.plaintext(answer, APPID, now))
    signature = envelope.sign(platform_key, envelope.signed_text(URLPATH, APPID, now, body))

    def seal_request(i: int) -> None:
        sealed = envelope.seal(keys.symmetric_key, aad, envelope.plaintext(
            {"code": f"phone.{i}"}, APPID, now))
        envelope.sign(keys.app_key, envelope.signed_text(URLPATH, APPID, now, sealed))

    def open_answer(i: int) -> None:
        assert envelope.verify(platform_key.public_key(),
                               envelope.signed_text(URLPATH, APPID, now, body), signature)
        json.loads(envelope.open_envelope(keys.symmetric_key, aad, body))

    for name, step in (("seal a request", seal_request), ("open an answer", open_answer)):
        median, p95 = timed(step, calls)
        print(f"{name:16}  median {median:8.1f} µs   p95 {p95:8.1f} µs   ({calls} calls)")


if __name__ == "__main__":
    main()
