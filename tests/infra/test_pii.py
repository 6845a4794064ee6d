import secrets

import pytest

from infra.pii import (
    DataKey,
    LookupKey,
    PiiDecryptError,
    PiiUnknownKey,
    PiiVault,
)


def national(legacy: PiiVault | None = None, sm4_id: str = "sm1") -> PiiVault:
    """SM4-GCM and HMAC-SM3 first; the international suite's keys (when given) readable."""
    legacy = legacy or PiiVault.international(secrets.token_bytes(32), secrets.token_bytes(32))
    return PiiVault(
        (DataKey(sm4_id, "SM4-GCM", secrets.token_bytes(16)), *legacy.data_keys),
        (LookupKey("hm1", "HMAC-SM3", secrets.token_bytes(32)), *legacy.lookup_keys),
    )


def vault() -> PiiVault:
    return national()


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


def test_the_national_suite_seals_with_sm4_under_its_key_id() -> None:
    v = national()
    sealed = v.encrypt("id_number", "330106199003071236")
    assert sealed.startswith("sm1:") and v.is_current(sealed)
    assert v.current.algorithm == "SM4-GCM"
    # 12-byte nonce + 18 bytes of ciphertext + 16-byte tag, base64.
    assert len(sealed) == len("sm1:") + 4 * -(-(12 + 18 + 16) // 3)


def test_values_sealed_by_the_international_suite_stay_readable_and_found() -> None:
    old = PiiVault.international(secrets.token_bytes(32), secrets.token_bytes(32))
    sealed = old.encrypt("phone", "13800138000")
    assert sealed.startswith("v1:")
    new = national(old)
    assert new.decrypt("phone", sealed) == "13800138000"
    assert not new.is_current(sealed)
    # A row hashed before the switch is still found: its hash is among the candidates.
    assert old.lookup_hash("phone", "13800138000") in new.lookup_hashes("phone", "13800138000")
    assert new.lookup_hash("phone", "13800138000") != old.lookup_hash("phone", "13800138000")


def test_a_value_under_an_unknown_or_retired_key_is_refused_naming_the_key() -> None:
    writer = national(sm4_id="sm7")
    sealed = writer.encrypt("name", "张三")
    reader = national(sm4_id="sm8")
    with pytest.raises(PiiUnknownKey, match="'sm7'") as caught:
        reader.decrypt("name", sealed)
    assert caught.value.key_id == "sm7"
    with pytest.raises(PiiDecryptError):
        reader.decrypt("name", "garbage without a key id")
    with pytest.raises(PiiDecryptError):
        writer.decrypt("name", "sm7:not*base64")
