"""Certificates for the TLS tests, made in process (trustme and its `cryptography`): a server
context for each way a certificate goes wrong, and the CA file a client would be given."""

from __future__ import annotations

import datetime
import ssl
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.servers.needs import missing


def trustme() -> ModuleType:
    try:
        import trustme as module
    except ImportError:
        missing("the trustme package is missing (a test dependency)")
    return module


@dataclass(frozen=True, slots=True)
class Tls:
    server: ssl.SSLContext  # for HttpServer(ssl_context=...) or an aiohttp site
    ca_file: Path  # what a client that should trust the server is given
    ca_pem: bytes


def _server_context() -> ssl.SSLContext:
    return ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)


def ca_signed(where: Path, *names: str, expired: bool = False) -> Tls:
    """A leaf for `names` (default 127.0.0.1 and localhost) signed by a fresh CA; `expired`: its
    validity ended yesterday."""
    where.mkdir(parents=True, exist_ok=True)
    ca = trustme().CA()
    kwargs = {}
    if expired:
        now = datetime.datetime.now(datetime.UTC)
        kwargs = {
            "not_before": now - datetime.timedelta(days=3),
            "not_after": now - datetime.timedelta(days=1),
        }
    leaf = ca.issue_cert(*(names or ("127.0.0.1", "localhost")), **kwargs)
    context = _server_context()
    leaf.configure_cert(context)
    ca_file = where / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Tls(context, ca_file, ca.cert_pem.bytes())


@dataclass(frozen=True, slots=True)
class MutualTls:
    server: ssl.SSLContext  # asks every client for a certificate signed by the CA
    ca_file: Path
    client_pem: Path  # a client's certificate and key in one file
    client_cert: Path  # the same, apart
    client_key: Path


def client_cert_required(where: Path) -> MutualTls:
    """A server (127.0.0.1) that accepts only clients with a certificate from its CA (mTLS, as
    a Prometheus or Loki behind an authenticating proxy is often set up)."""
    where.mkdir(parents=True, exist_ok=True)
    ca = trustme().CA()
    context = _server_context()
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    ca_file = where / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client = ca.issue_cert("warroom@bastion")
    pem, cert, key = where / "client.pem", where / "client.crt", where / "client.key"
    client.private_key_and_cert_chain_pem.write_to_path(str(pem))
    client.cert_chain_pems[0].write_to_path(str(cert))
    client.private_key_pem.write_to_path(str(key))
    return MutualTls(context, ca_file, pem, cert, key)


def self_signed(where: Path, name: str = "127.0.0.1") -> Tls:
    """A certificate that signs itself (what a quick `openssl req -x509` gives an internal API)."""
    trustme()  # the same dependency, the same message when it is missing
    where.mkdir(parents=True, exist_ok=True)
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(name))]), False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = where / "self-signed.pem", where / "self-signed.key"
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = _server_context()
    context.load_cert_chain(cert_file, key_file)
    return Tls(context, cert_file, pem)


def kmock_tls_server(emulator: Any, context: ssl.SSLContext) -> Any:
    """A kmock server for `emulator` that speaks HTTPS with `context`: kmock builds its
    aiohttp test server without TLS, so its server class gets the context at start."""
    import aiohttp.test_utils
    import kmock

    class TlsServer(aiohttp.test_utils.RawTestServer):
        async def start_server(self, **kwargs: Any) -> None:
            await super().start_server(ssl=context, **kwargs)

    return kmock.Server(emulator, server_cls=TlsServer)
