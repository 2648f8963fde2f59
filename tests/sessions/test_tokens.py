from django_wxlogin.sessions.tokens import RANDOM_BYTES, make_token, token_digest, user_reference


def test_tokens_carry_256_random_bits_and_the_user_reference():
    token = make_token(42)
    _, random_part = token.split(".")
    assert RANDOM_BYTES * 8 >= 256 and len(random_part) == 43
    assert user_reference(token) == "42"
    assert make_token(42) != token


def test_any_primary_key_round_trips():
    for pk in (1, 10**15, "3f2a6c1e-7a0b-4a8b-9c1d-2e3f4a5b6c7d", "名字"):
        assert user_reference(make_token(pk)) == str(pk)


def test_digest_is_sha256_hex():
    digest = token_digest("a.b")
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_malformed_tokens_have_no_user_reference():
    good = make_token(7)
    for bad in ("", ".", good + "x", good[:-1], "a" * 300, good.replace(".", ""), "MQ.é" * 11,
                "@@." + good.split(".")[1]):
        assert user_reference(bad) is None
