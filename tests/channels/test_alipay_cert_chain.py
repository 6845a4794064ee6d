"""Whether a downloaded Alipay certificate is trusted: it must chain, through the
intermediates that come with it, to a root in the merchant's root file, each link's
signature verifying and each certificate in force (Alipay's own files carry an
intermediate CA after the leaf)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from channels.alipay.cert_mode import UntrustedCertificate, check_chain

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cert(
    subject: str, public: rsa.RSAPrivateKey, issuer: str, signer: rsa.RSAPrivateKey, *,
    days: tuple[int, int] = (-30, 365),
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(public.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .sign(signer, hashes.SHA256())
    )


def pem(*certs: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


@pytest.fixture(scope="module")
def pki() -> dict:
    root_key, mid_key, leaf_key = key(), key(), key()
    root = cert("Root R1", root_key, "Root R1", root_key)
    mid = cert("Class 2 CA", mid_key, "Root R1", root_key)
    leaf = cert("Alipay", leaf_key, "Class 2 CA", mid_key)
    return {"root": root, "mid": mid, "leaf": leaf, "leaf_key": leaf_key, "mid_key": mid_key}


def test_a_leaf_with_its_intermediate_chains_to_the_root(pki: dict) -> None:
    check_chain(pem(pki["leaf"], pki["mid"]), [pki["root"]], NOW)
    check_chain(pem(pki["mid"]), [pki["root"]], NOW)  # issued by the root itself


def test_a_leaf_without_its_intermediate_is_not_trusted(pki: dict) -> None:
    with pytest.raises(UntrustedCertificate, match="not issued by Alipay's roots"):
        check_chain(pem(pki["leaf"]), [pki["root"]], NOW)


def test_a_look_alike_root_is_not_the_root(pki: dict) -> None:
    impostor_key = key()
    impostor_root = cert("Root R1", impostor_key, "Root R1", impostor_key)
    forged = cert("Alipay", key(), "Root R1", impostor_key)
    with pytest.raises(UntrustedCertificate, match="not issued"):
        check_chain(pem(forged), [pki["root"]], NOW)
    # Shipping the impostor's root inside the download does not make it a root.
    with pytest.raises(UntrustedCertificate):
        check_chain(pem(forged, impostor_root), [pki["root"]], NOW)


def test_a_certificate_out_of_force_is_not_trusted(pki: dict) -> None:
    expired = cert("Alipay", key(), "Class 2 CA", pki["mid_key"], days=(-400, -1))
    with pytest.raises(UntrustedCertificate, match="not in force"):
        check_chain(pem(expired, pki["mid"]), [pki["root"]], NOW)
    with pytest.raises(UntrustedCertificate, match="no certificate"):
        check_chain("", [pki["root"]], NOW)
