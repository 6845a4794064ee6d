"""Alipay's public-key-certificate mode (公钥证书模式), the sandbox's side, in its own code.

The sandbox is its own certificate authority: two RSA roots and one EC root (Alipay's
``alipayRootCert.crt`` also mixes RSA and non-RSA roots, PEM blocks separated by a blank
line), an Alipay certificate for Alipay's signing key and an app certificate for the
merchant's key, both issued by the first RSA root.

Serials as Alipay defines them: a certificate's SN is the MD5 hex of its issuer DN
(most specific attribute first: ``CN=…,OU=…,O=…,C=…``) followed by its serial number in
decimal; the root SN joins the SNs of the RSA root certificates with ``_``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

VALID_YEARS = 10


@dataclass(frozen=True)
class AlipayCertificates:
    root_chain: str
    alipay_cert: str
    app_cert: str
    # The first RSA root's private key (PKCS#8 PEM): the sandbox's CA reissues Alipay's
    # certificate with it (the platform's silent certificate upgrade).
    root_key: str = ""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Yiwang Sandbox"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Certification Authority"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(
    subject: x509.Name,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _rsa_public(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def issue(alipay_public_key: str, app_public_key: str) -> AlipayCertificates:
    """Certificates for the two existing key pairs, under a fresh set of roots."""
    roots = []
    rsa_root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for common_name, key in (
        ("Yiwang Sandbox Root Class 1 R1", rsa_root_key),
        ("Yiwang Sandbox Root Class 2 R1", rsa.generate_private_key(65537, 2048)),
        ("Yiwang Sandbox Root EC", ec.generate_private_key(ec.SECP256R1())),
    ):
        name = _name(common_name)
        roots.append(_certificate(name, key.public_key(), name, key, ca=True))
    issuer = roots[0].subject
    alipay_cert = _certificate(
        _name("支付宝(中国)网络技术有限公司-沙箱"),
        _rsa_public(alipay_public_key),
        issuer,
        rsa_root_key,
        ca=False,
    )
    app_cert = _certificate(
        _name("Yiwang merchant app"), _rsa_public(app_public_key), issuer, rsa_root_key, ca=False
    )
    return AlipayCertificates(
        root_chain="\n".join(_pem(c) for c in roots),
        alipay_cert=_pem(alipay_cert),
        app_cert=_pem(app_cert),
        root_key=_private_pem(rsa_root_key),
    )


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def reissue(root_chain: str, root_key: str, alipay_public_key: str) -> str:
    """A new certificate for Alipay's key (same key, new serial) from the first RSA root,
    as Alipay reissues its public-key certificate when one nears its end."""
    marker = "-----END CERTIFICATE-----"
    first = root_chain.split(marker)[0] + marker
    root = x509.load_pem_x509_certificate(first.strip().encode())
    key = serialization.load_pem_private_key(root_key.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    cert = _certificate(
        _name("支付宝(中国)网络技术有限公司-沙箱"),
        _rsa_public(alipay_public_key),
        root.subject,
        key,
        ca=False,
    )
    return _pem(cert)


def forged() -> tuple[str, str]:
    """A certificate that claims to be Alipay's, for a key that is not, under a root of the
    same name that is not in the merchant's root file: (certificate PEM, private key PEM)."""
    impostor_root = rsa.generate_private_key(65537, 2048)
    impostor = rsa.generate_private_key(65537, 2048)
    cert = _certificate(
        _name("支付宝(中国)网络技术有限公司-沙箱"),
        impostor.public_key(),
        _name("Yiwang Sandbox Root Class 1 R1"),
        impostor_root,
        ca=False,
    )
    private = impostor.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return _pem(cert), private


def cert_sn(pem: str) -> str:
    cert = x509.load_pem_x509_certificate(pem.encode())
    return hashlib.md5(
        (cert.issuer.rfc4514_string() + str(cert.serial_number)).encode()
    ).hexdigest()


def root_cert_sn(chain: str) -> str:
    """Only RSA roots count (sha1/sha256 with RSA); the EC root is left out."""
    marker = "-----END CERTIFICATE-----"
    blocks = [block + marker for block in chain.split(marker) if block.strip()]
    sns = []
    for block in blocks:
        cert = x509.load_pem_x509_certificate(block.strip().encode())
        if isinstance(cert.public_key(), rsa.RSAPublicKey):
            sns.append(cert_sn(block.strip()))
    return "_".join(sns)
