"""C2PA Content Credentials for the media the platform generates: `embed` signs a manifest into
a file (what made it, from what, for whom), `read` validates one and returns what it says.

The signer is the certificate chain and key that settings C2PA_SIGN_CERT / C2PA_SIGN_KEY name, or,
when they are empty, a development CA and signing certificate generated into C2PA_DIR on first
use. Reading trusts only the roots in C2PA_TRUST_ANCHORS (default: that development CA).
"""

import dataclasses
import datetime as dt
import fcntl
import functools
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIMES = ("image/png", "image/jpeg", "image/webp", "video/mp4")
ASSERTION_LABEL = "org.storyloom.generation"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
TRUSTED = "Trusted"  # c2pa's state for valid hashes and signature from a signer chaining to an anchor

# The development certificates, in C2PA_DIR.
DEV_CA = "ca.pem"
DEV_CERT = "signer.pem"
DEV_KEY = "signer.key"
_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning (RFC 9336)
_DEV_VALIDITY = dt.timedelta(days=3650)

_ALGORITHMS = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}


@dataclass(frozen=True)
class Facts:
    """What the platform records about a generated file, in its own assertion."""

    preset: str
    seed: int
    prompt_sha256: str
    project_id: int
    project_name: str
    authors: list[str]
    job_id: str  # the job's public id
    kind: str
    parent_sha256: str | None = None  # a remix: the source asset's SHA-256
    render_mode: str = "quality"  # "fast": some steps reused earlier ones (the same seed renders otherwise)


@dataclass
class Report:
    present: bool  # the file carries a C2PA manifest
    valid: bool  # hashes and signature check out and the signer chains to the trust anchors
    state: str  # c2pa's validation state ("Trusted", "Valid", "Invalid"); "" without a manifest
    errors: list[str] = field(default_factory=list)  # "code: explanation" of each failure
    facts: dict[str, Any] | None = None  # our assertion, as Facts' fields
    signer: str | None = None  # the signing certificate's common name (or its issuer)
    actions: list[dict[str, Any]] = field(default_factory=list)


def embed(data: bytes, mime: str, facts: Facts, *, title: str) -> bytes:
    """The file with a manifest signed by the platform's certificate embedded in it."""
    _require_supported(mime)
    builder = c2pa.Builder(_manifest(mime, facts, title=title), context=_signing_context(*_signer_pems()))
    out = io.BytesIO()
    builder.sign(mime, io.BytesIO(data), out)  # a Builder signs once and closes itself
    return out.getvalue()


def read(data: bytes, mime: str) -> Report:
    """Validate the file's manifest against the trust anchors. A file without a manifest, or one
    that cannot be parsed, gives present=False (the latter with errors), never an exception."""
    _require_supported(mime)
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, _reading_context(_anchors_pem()))
        if reader is None:
            return Report(present=False, valid=False, state="")
        with reader:
            store = json.loads(reader.json())
    except c2pa.C2paError as error:
        return Report(present=False, valid=False, state="", errors=[str(error) or type(error).__name__])
    manifest = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    assertions = manifest.get("assertions", [])
    state = store.get("validation_state") or ""
    errors = _failures(store)
    signature = manifest.get("signature_info") or {}
    return Report(
        present=True,
        valid=state == TRUSTED and not errors,
        state=state,
        errors=errors,
        facts=next((a.get("data") for a in assertions if a.get("label") == ASSERTION_LABEL), None),
        signer=signature.get("common_name") or signature.get("issuer"),
        actions=[action for a in assertions if a.get("label", "").startswith("c2pa.actions")
                 for action in (a.get("data") or {}).get("actions", [])],
    )


# --- the manifest ---

def _manifest(mime: str, facts: Facts, *, title: str) -> dict[str, Any]:
    version = _version()
    created: dict[str, Any] = {
        "action": "c2pa.created",
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": {"name": "Storyloom", "version": version, "org.storyloom.preset": facts.preset},
    }
    manifest: dict[str, Any] = {
        "claim_generator_info": [{"name": "Storyloom", "version": version}],
        "title": title,
        "format": mime,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": [created]}},
            {"label": ASSERTION_LABEL, "data": dataclasses.asdict(facts)},
        ],
    }
    if facts.parent_sha256:
        # A remix: the source asset is an input to the generation, referenced by its hash (the
        # file itself is not at hand here, so the ingredient carries no manifest or thumbnail).
        manifest["ingredients"] = [{"title": "Remix source", "relationship": "inputTo",
                                    "instance_id": f"sha256:{facts.parent_sha256}", "label": "remix-source"}]
        created["parameters"] = {"ingredientIds": ["remix-source"]}
    return manifest


def _failures(store: dict[str, Any]) -> list[str]:
    results = store.get("validation_results")
    if results is None:  # older stores: a flat list of failures
        statuses = store.get("validation_status") or []
    else:
        statuses = list((results.get("activeManifest") or {}).get("failure", []))
        for delta in results.get("ingredientDeltas") or []:
            statuses += (delta.get("validationDeltas") or {}).get("failure", [])
    return [f"{s.get('code')}: {s.get('explanation')}" if s.get("explanation") else str(s.get("code"))
            for s in statuses]


def _require_supported(mime: str) -> None:
    if mime not in MIMES:
        raise ValueError(f"Content Credentials for {mime!r} are not supported; one of: {', '.join(MIMES)}.")


@functools.cache
def _version() -> str:
    try:
        return metadata.version("storyloom")
    except metadata.PackageNotFoundError:
        return "dev"


# --- c2pa contexts: built once per process and credentials ---

_VERIFY = {"verify_trust": True, "remote_manifest_fetch": False, "ocsp_fetch": False}


@functools.lru_cache(maxsize=4)
def _signing_context_for(pid: int, cert_pem: bytes, key_pem: bytes) -> Any:
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(_algorithm(key_pem), cert_pem, key_pem, None))
    # The platform writes its own thumbnails; one inside each manifest would double an image's size.
    config = {"version": 1, "verify": _VERIFY, "builder": {"thumbnail": {"enabled": False}}}
    return c2pa.Context(settings=c2pa.Settings.from_dict(config), signer=signer)  # consumes the signer


@functools.lru_cache(maxsize=4)
def _reading_context_for(pid: int, anchors_pem: bytes) -> Any:
    config = {"version": 1, "verify": _VERIFY, "trust": {"trust_anchors": anchors_pem.decode()}}
    return c2pa.Context(settings=c2pa.Settings.from_dict(config))


def _signing_context(cert_pem: bytes, key_pem: bytes) -> Any:
    # Keyed by pid: a forked worker cannot use the native objects of its parent.
    return _signing_context_for(os.getpid(), cert_pem, key_pem)


def _reading_context(anchors_pem: bytes) -> Any:
    return _reading_context_for(os.getpid(), anchors_pem)


def _algorithm(key_pem: bytes) -> str:
    key = serialization.load_pem_private_key(key_pem, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _ALGORITHMS:
        return _ALGORITHMS[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise ImproperlyConfigured("C2PA_SIGN_KEY must be an EC (P-256/384/521), Ed25519 or RSA private key.")


# --- credentials ---

def _signer_pems() -> tuple[bytes, bytes]:
    cert, key = settings.C2PA_SIGN_CERT, settings.C2PA_SIGN_KEY
    if bool(cert) != bool(key):
        raise ImproperlyConfigured("Set both C2PA_SIGN_CERT and C2PA_SIGN_KEY, or neither.")
    if not cert:
        directory = _dev_credentials()
        cert, key = directory / DEV_CERT, directory / DEV_KEY
    return Path(cert).read_bytes(), Path(key).read_bytes()


def _anchors_pem() -> bytes:
    if settings.C2PA_TRUST_ANCHORS:
        return Path(settings.C2PA_TRUST_ANCHORS).read_bytes()
    if settings.C2PA_SIGN_CERT:
        raise ImproperlyConfigured("C2PA_TRUST_ANCHORS must name the roots of C2PA_SIGN_CERT's chain.")
    return (_dev_credentials() / DEV_CA).read_bytes()


def _dev_credentials() -> Path:
    """C2PA_DIR, holding the development CA and signing certificate (made on first use)."""
    directory = Path(settings.C2PA_DIR)
    if all((directory / name).exists() for name in (DEV_CA, DEV_CERT, DEV_KEY)):
        return directory
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(directory / ".lock"):  # workers starting together make one CA, not several
        if not all((directory / name).exists() for name in (DEV_CA, DEV_CERT, DEV_KEY)):
            ca, cert, key = _dev_certificates()
            _write(directory / DEV_KEY, key, mode=0o600)
            _write(directory / DEV_CA, ca, mode=0o644)
            _write(directory / DEV_CERT, cert, mode=0o644)
    return directory


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, content: bytes, *, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(descriptor, mode)  # whatever the umask
        os.write(descriptor, content)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)


def _dev_certificates() -> tuple[bytes, bytes, bytes]:
    """A P-256 CA and a signing certificate it issued, with the usages C2PA validators require:
    (CA PEM, signing certificate PEM, signing key PEM). The CA's key is not kept."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Storyloom Development CA")
    ca = (
        _certificate(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _certificate(_name("Storyloom Development Signer"), ca_name, key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return ca.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.PEM), key_pem


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Storyloom")])


def _certificate(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
                 now: dt.datetime) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # clock skew between machines
        .not_valid_after(now + _DEV_VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False,
               crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=key_cert_sign, crl_sign=crl_sign, encipher_only=False,
                         decipher_only=False)
