"""Throw-away TLS material for the integration tests.

Makes a private CA and a server certificate for 127.0.0.1 / localhost signed by
it.  Clients trust the CA file (``verify=ca.pem``); the server is started with
``--tls-cert server.pem --tls-key server-key.pem``.

A CA-signed leaf (rather than one self-signed leaf used as its own trust
anchor) is what every client stack accepts without special flags: OpenSSL 3
strict mode, Python >= 3.13 (VERIFY_X509_STRICT), Go's crypto/x509 (rclone)
and Swift NIO SSL.

Run as a script to make the files by hand, e.g. for a development server:

    python Tests/integration/certs.py /tmp/cairn-tls
    moto_server -H 127.0.0.1 -p 5443 -c /tmp/cairn-tls/server.pem -k /tmp/cairn-tls/server-key.pem
"""

from __future__ import annotations

import datetime
import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TLSFiles:
    ca_cert: Path  # what clients trust
    cert: Path  # server certificate chain (leaf, then CA)
    key: Path  # server private key, PKCS#8 PEM, unencrypted


def make_tls_files(directory: Path | str) -> TLSFiles:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    not_before = now - datetime.timedelta(days=1)
    not_after = now + datetime.timedelta(days=30)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cairn Test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    files = TLSFiles(
        ca_cert=directory / "ca.pem",
        cert=directory / "server.pem",
        key=directory / "server-key.pem",
    )
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    files.ca_cert.write_bytes(ca_pem)
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + ca_pem)
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.key.chmod(0o600)
    return files


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: certs.py OUTPUT_DIR")
    made = make_tls_files(sys.argv[1])
    print(f"CA (trust this):  {made.ca_cert}")
    print(f"server cert:      {made.cert}")
    print(f"server key:       {made.key}")
