"""`class serve --tls`: a self-signed certificate made once into the --out folder and reused.

Students pin its SHA-256 fingerprint (`class join … --fingerprint SHA256:…`), so no CA is needed
and a restart keeps the fingerprint they pinned. The private key is written 0600.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from checkers.class_protocol import format_fingerprint
from checkers.classroom.security import write_private
from checkers.errors import CheckerError

CERT_NAME, KEY_NAME = "class-cert.pem", "class-key.pem"
VALID_DAYS = 825


def ensure_certificate(out_dir: Path, hosts: list[str]) -> tuple[Path, Path, str]:
    """(cert path, key path, fingerprint) – the existing pair when it is readable, else a new one."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert_path, key_path = Path(out_dir) / CERT_NAME, Path(out_dir) / KEY_NAME
    if cert_path.is_file() and key_path.is_file():
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if cert.not_valid_after_utc > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1):
                return cert_path, key_path, format_fingerprint(cert.public_bytes(serialization.Encoding.DER))
        except (ValueError, TypeError, OSError):
            pass  # unreadable or expired: a new pair (students re-pin the printed fingerprint)
    try:
        der = _generate(cert_path, key_path, hosts)
    except OSError as exc:
        raise CheckerError(f"Certifikát pro TLS nejde uložit do {out_dir}: {exc.strerror}.",
                           "Zkontrolujte práva k adresáři v --out.") from exc
    return cert_path, key_path, format_fingerprint(der)


def _generate(cert_path: Path, key_path: Path, hosts: list[str]) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for host in dict.fromkeys([*hosts, "127.0.0.1", "::1"]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            if host and host not in ("0.0.0.0", "::"):
                names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kurz class server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert.public_bytes(serialization.Encoding.DER)
