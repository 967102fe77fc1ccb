from __future__ import annotations

import logging
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.kr import rrn as stdnum_rrn

from insa.security.crypto import DecryptionError, RRNCipher, pseudonym
from insa.security.logs import RedactingFilter, redact
from insa.security.rrn import RRN, InvalidRRN, mask

from .conftest import PSEUDONYM_KEY_RAW

SAMPLE = "900101-1234568"  # synthetic, valid checksum


def test_pseudonym_definition_matches_an_independent_hmac() -> None:
    # printf '9001011234568' | openssl dgst -sha256 -hmac 'insa-test-pseudonym-key-32-bytes!!'
    expected = "245b4a1b2f54a556a929af1cf11384b6c44fd7eecfeab6c0aea3e48ca5013962"
    assert pseudonym(PSEUDONYM_KEY_RAW, SAMPLE) == expected
    assert pseudonym(PSEUDONYM_KEY_RAW, "9001011234568") == expected


def test_round_trip_and_fresh_nonces(cipher: RRNCipher) -> None:
    r = RRN(SAMPLE)
    a, b = cipher.encrypt(r), cipher.encrypt(r)
    assert a != b  # random nonce per encryption
    assert cipher.decrypt(a) == r and cipher.decrypt(b) == r
    assert b"9001011234568" not in a
    assert cipher.pseudonym(r) == cipher.pseudonym_digits_many(["9001011234568"])[0]
    assert cipher.encrypt_digits_many(["9001011234568"])[0][0] == 1


def test_tampering_and_wrong_key_fail(cipher: RRNCipher) -> None:
    blob = bytearray(cipher.encrypt(RRN(SAMPLE)))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError) as exc:
        cipher.decrypt(bytes(blob))
    assert "1234568" not in str(exc.value)
    other = RRNCipher(b"E" * 32, PSEUDONYM_KEY_RAW)
    with pytest.raises(DecryptionError):
        other.decrypt(cipher.encrypt(RRN(SAMPLE)))


def test_rrn_never_shows_itself() -> None:
    r = RRN(SAMPLE)
    assert str(r) == repr(r)[5:-2] == "900101-1******"
    assert f"{r}" == "900101-1******" and f"{r!r}" == "RRN('900101-1******')"
    assert r.birth_date.isoformat() == "1990-01-01" and r.sex == "M"
    assert "1234568" not in str(vars(r) if hasattr(r, "__dict__") else r)
    with pytest.raises(TypeError):
        pickle.dumps(r)


@pytest.mark.parametrize("bad", ["900101-1234567", "901301-1234568", "12345", "900101-9934568"])
def test_invalid_rrn_errors_do_not_echo_the_number(bad: str) -> None:
    with pytest.raises(InvalidRRN) as exc:
        RRN(bad)
    digits = bad.replace("-", "")
    assert digits not in str(exc.value) and (len(digits) < 13 or digits[7:] not in str(exc.value))


def test_log_filter_masks_rrn_shapes(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("insa.test")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="insa.test"):
        logger.info("looked up %s and 8501012345678", SAMPLE)
    assert "1234568" not in caplog.text and "2345678" not in caplog.text
    assert "900101-1******" in caplog.text and "850101-2******" in caplog.text
    assert redact("tel 010-1234-5678") == "tel 010-1234-5678"


@given(st.dates(min_value=__import__("datetime").date(1900, 1, 1), max_value=__import__("datetime").date(2025, 12, 31)),
       st.booleans(), st.integers(0, 95), st.integers(0, 999))  # fmt: skip
def test_mask_keeps_birth_date_and_sex_digit(d, female, region, rest) -> None:  # type: ignore[no-untyped-def]
    g = (1 if d.year < 2000 else 3) + int(female)
    first12 = f"{d:%y%m%d}{g}{region:02d}{rest:03d}"
    digits = first12 + stdnum_rrn.calc_check_digit(first12)
    r = RRN(digits)
    assert r.masked() == mask(digits) == f"{d:%y%m%d}-{g}******"
    assert r.birth_date == d and r.sex == ("F" if female else "M")


def test_numbers_issued_since_october_2020_need_no_check_digit() -> None:
    # since 2020-10 the digits after the sex digit are random: no region code, no check digit
    r = RRN("210315-4999990")
    assert r.birth_date.isoformat() == "2021-03-15" and r.sex == "F"
    with pytest.raises(InvalidRRN):
        RRN("900101-1999990")  # before 2020-10 the check digit still counts
    with pytest.raises(InvalidRRN):
        RRN("991231-3000000")  # 2099: a birth date in the future


def test_tracebacks_are_redacted_by_the_formatter() -> None:
    from insa.security.logs import RedactingFormatter

    try:
        raise ValueError(f"bad row {SAMPLE} / 900101 1234568")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = RedactingFormatter("%(message)s").format(record)
    assert "ValueError" in text and "1234568" not in text and "900101-1******" in text
