import secrets

import pytest

from infra.pii import PiiDecryptError, PiiVault, mask_id_number, mask_name, mask_phone, redact


def vault() -> PiiVault:
    return PiiVault(secrets.token_bytes(32), secrets.token_bytes(32))


def test_values_round_trip_and_never_appear_in_the_ciphertext() -> None:
    v = vault()
    sealed = v.encrypt("id_number", "330106199003071236")
    assert "330106199003071236" not in sealed
    assert v.decrypt("id_number", sealed) == "330106199003071236"
    assert v.encrypt("id_number", "330106199003071236") != sealed  # fresh nonce each time


def test_a_value_cannot_be_moved_to_another_purpose_or_opened_with_another_key() -> None:
    v = vault()
    sealed = v.encrypt("id_number", "330106199003071236")
    with pytest.raises(PiiDecryptError):
        v.decrypt("phone", sealed)
    with pytest.raises(PiiDecryptError):
        vault().decrypt("id_number", sealed)


def test_lookup_hashes_are_stable_keyed_and_purpose_bound() -> None:
    v = vault()
    assert v.lookup_hash("id_number", "x") == v.lookup_hash("id_number", "x")
    assert v.lookup_hash("id_number", "x") != v.lookup_hash("phone", "x")
    assert v.lookup_hash("id_number", "x") != vault().lookup_hash("id_number", "x")


def test_masks_follow_the_public_service_forms() -> None:
    assert mask_id_number("33010619900307123X") == "330106********123X"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


def test_redact_masks_id_numbers_and_phones_inside_free_text() -> None:
    line = '{"msg": "login 33010619900307123X phone 13800138000 order YW202611220000000001"}'
    out = redact(line)
    assert "33010619900307123X" not in out and "330106********123X" in out
    assert "13800138000" not in out and "138****8000" in out
    # Identifiers with a prefix are not mistaken for personal data...
    assert "YW202611220000000001" in out
    # ...but a bare 18-digit run is masked even when its check digit is wrong: privacy first.
    assert "330106199003071230" not in redact("typo 330106199003071230")
