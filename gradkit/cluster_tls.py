"""A closed grading cluster: the course's own certificate authority, certificates for its
machines, and the rule for which scheduler addresses `grade-batch` will talk to.

A Dask scheduler runs the pickled tasks of whoever connects to it (distributed's own
security notes; CVE-2021-42343), so a cluster reachable over plain ``tcp://`` is open to
anyone on its network. With ``tls://`` and distributed's ``Security(...,
require_encryption=True)`` every connection (client, scheduler, workers) is encrypted and
both ends must show a certificate signed by the course's CA: distributed checks the CA,
not host names (its TLS contexts set ``check_hostname = False`` and ``CERT_REQUIRED``), so
a certificate from this folder is the key to the cluster, and a machine without one
cannot submit or run a task. The CA and certificates are made with ``cryptography``
(the ``batch`` extra pins it) rather than by shelling out to ``openssl``, so the same
code runs wherever the kit does.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from distributed import Security

CA_CERT, CA_KEY = "ca.pem", "ca.key"
ROLES = ("scheduler", "worker", "client")  # one certificate each, by default
DAYS = 400  # about a term, with margin


class ClusterError(ValueError):
    """A scheduler address or TLS setting `grade-batch` refuses, and why."""


def make_certs(folder: Path, names: tuple[str, ...] = ROLES, hosts: tuple[str, ...] = (),
               days: int = DAYS) -> dict[str, tuple[Path, Path]]:
    """Write ``NAME.pem`` and ``NAME.key`` for each of ``names`` into ``folder``, signed
    by the course CA there (``ca.pem``/``ca.key``; made first if the folder has none).
    ``hosts``: names and IP addresses to list in each certificate (distributed does not
    check them; other TLS clients may). Keys are written 0600 and never overwritten:
    returns {name: (certificate, key)}."""
    from cryptography.hazmat.primitives.asymmetric import ec

    folder.mkdir(parents=True, exist_ok=True)
    taken = [n for n in names if (folder / f"{n}.pem").exists() or (folder / f"{n}.key").exists()]
    if taken:
        raise ClusterError(f"{folder} already holds certificates for: {', '.join(taken)}")
    if (folder / CA_CERT).exists() and (folder / CA_KEY).exists():
        ca_cert, ca_key = _load_ca(folder)
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = _certificate(_name("gradkit course CA"), ca_key, ca_key, None, days, ca=True)
        _write(folder / CA_KEY, _key_bytes(ca_key), private=True)
        _write(folder / CA_CERT, _cert_bytes(ca_cert))
    made = {}
    for name in names:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(_name(f"gradkit {name}"), key, ca_key, ca_cert, days, hosts=hosts)
        _write(folder / f"{name}.key", _key_bytes(key), private=True)
        _write(folder / f"{name}.pem", _cert_bytes(cert))
        made[name] = (folder / f"{name}.pem", folder / f"{name}.key")
    return made


def security(ca: str, cert: str, key: str) -> Security:
    """The ``Security`` a client uses: the course CA, its certificate, encryption required."""
    from distributed import Security

    for path in (ca, cert, key):
        if not os.path.isfile(path):
            raise ClusterError(f"no such file: {path}")
    return Security(tls_ca_file=os.path.abspath(ca), tls_client_cert=os.path.abspath(cert),
                    tls_client_key=os.path.abspath(key), require_encryption=True)


def connection(scheduler: str, ca: str | None, cert: str | None, key: str | None,
               insecure: bool = False) -> tuple[Security | None, str | None]:
    """(the Security to connect with, a warning to print) for ``scheduler``; raises
    ClusterError for what is refused. ``tls://`` needs all three files; plain ``tcp://``
    is for a cluster on this machine only (loopback), unless ``insecure``, with a warning."""
    parts = urlsplit(scheduler if "://" in scheduler else f"tcp://{scheduler}")
    scheme, host = parts.scheme, parts.hostname or ""
    given = [p for p in (ca, cert, key) if p]
    if scheme == "tls":
        if len(given) != 3:
            raise ClusterError("tls:// needs --tls-ca, --tls-cert and --tls-key "
                               "(make them with: gradkit cluster-certs DIR)")
        assert ca and cert and key
        return security(ca, cert, key), None
    if scheme != "tcp":
        raise ClusterError(f"unsupported scheduler address {scheduler!r}: use tls://HOST:PORT")
    if given:
        raise ClusterError("--tls-* files are for a tls:// scheduler address")
    if is_loopback(host):
        return None, None
    warning = (f"plain tcp:// to {host}: anyone who can reach that port can run code on the "
               "cluster and read every submission; use tls:// with certificates from "
               "gradkit cluster-certs")
    if not insecure:
        raise ClusterError(f"refused: {warning} (or pass --insecure to accept the risk)")
    return None, f"warning: {warning}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- certificates ------------------------------------------------------------------------------

def _name(common: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gradkit"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: x509.Name, key: EllipticCurvePrivateKey, signer: EllipticCurvePrivateKey,
                 issuer_cert: x509.Certificate | None, days: int, ca: bool = False,
                 hosts: tuple[str, ...] = ()) -> x509.Certificate:
    """A certificate for ``key`` signed by ``signer`` (self-signed when ``issuer_cert`` is
    None): a CA that signs only leaves, or a leaf for both ends of a TLS connection."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None),
                              critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=False, key_encipherment=False,
                   data_encipherment=False, key_agreement=not ca, key_cert_sign=ca, crl_sign=ca,
                   encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        names: list[x509.GeneralName] = [x509.DNSName("localhost"),
                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _load_ca(folder: Path) -> tuple[x509.Certificate, EllipticCurvePrivateKey]:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    cert = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
    key = load_pem_private_key((folder / CA_KEY).read_bytes(), password=None)
    if not isinstance(key, EllipticCurvePrivateKey):
        raise ClusterError(f"{folder / CA_KEY} is not a key gradkit cluster-certs made")
    return cert, key


def _key_bytes(key: EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_bytes(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    """A new file (never one already there, never through a link), 0600 for a key."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
