import secrets

import pytest

from infra.pii import PiiDecryptError, PiiVault


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
