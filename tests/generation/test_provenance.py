"""C2PA Content Credentials on generated media: signed, read back, tampering and strangers caught."""

import dataclasses
import datetime as dt
import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.exceptions import ImproperlyConfigured

from generation import provenance
from generation.media import mp4_write, poster_png, preview_webp, thumbnail_jpeg
from generation.provenance import MIMES, TRAINED_ALGORITHMIC_MEDIA, Facts, embed, read

FACTS = Facts(preset="tiny-ltx-video", seed=1234,
              prompt_sha256=hashlib.sha256(b"rain on a window").hexdigest(), project_id=7,
              project_name="Rainy Days", authors=["ada", "grace"], job_id="job_3kq9", kind="video")


@pytest.fixture(autouse=True)
def c2pa_settings(settings, tmp_path):
    settings.C2PA_DIR = tmp_path / "c2pa"
    settings.C2PA_SIGN_CERT = settings.C2PA_SIGN_KEY = settings.C2PA_TRUST_ANCHORS = ""
    return settings


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, bytes]:
    """One small file of each kind, made by the encoders the workers use."""
    frames = np.random.default_rng(0).integers(0, 256, (9, 64, 96, 3), dtype=np.uint8)
    video = tmp_path_factory.mktemp("video") / "clip.mp4"
    mp4_write(frames, video, fps=8)
    return {"image/png": poster_png(frames), "image/jpeg": thumbnail_jpeg(frames),
            "image/webp": preview_webp(frames, fps=8), "video/mp4": video.read_bytes()}


@pytest.mark.parametrize("mime", MIMES)
def test_each_kind_of_file_carries_valid_credentials_with_our_facts(media, mime):
    signed = embed(media[mime], mime, FACTS, title="Rainy Days — shot 1")

    report = read(signed, mime)

    assert (report.present, report.valid, report.state, report.errors) == (True, True, "Trusted", [])
    assert report.facts == dataclasses.asdict(FACTS)
    assert report.signer == "Storyloom Development Signer"
    [created] = report.actions
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert created["softwareAgent"]["name"] == "Storyloom"
    assert created["softwareAgent"]["org.storyloom.preset"] == "tiny-ltx-video"


def test_a_remix_references_its_source_by_hash(media):
    parent = hashlib.sha256(b"the source video").hexdigest()
    remix = dataclasses.replace(FACTS, kind="remix", parent_sha256=parent)

    report = read(embed(media["video/mp4"], "video/mp4", remix, title="Remix"), "video/mp4")

    assert report.valid
    assert report.facts is not None and report.facts["parent_sha256"] == parent
    [created] = report.actions
    assert len(created["parameters"]["ingredients"]) == 1  # the hashed link to the ingredient


@pytest.mark.parametrize("mime", MIMES)
def test_a_changed_byte_in_the_media_is_detected(media, mime):
    original = media[mime]
    signed = bytearray(embed(original, mime, FACTS, title="t"))
    middle = len(original) // 2  # picture or video data, not the manifest
    at = signed.find(original[middle:middle + 32])
    assert at > 0
    signed[at + 7] ^= 0x01

    report = read(bytes(signed), mime)

    assert report.present
    assert not report.valid
    assert report.state == "Invalid"
    assert any("mismatch" in error for error in report.errors), report.errors


def test_a_file_signed_under_another_ca_is_not_valid(settings, media, tmp_path):
    signed = embed(media["image/png"], "image/png", FACTS, title="t")
    settings.C2PA_DIR = tmp_path / "another-deployment"  # a development CA of its own

    report = read(signed, "image/png")

    assert report.present
    assert report.facts == dataclasses.asdict(FACTS)  # still readable, but not to be believed
    assert not report.valid
    assert report.state != "Trusted"
    assert any(error.startswith("signingCredential.untrusted") for error in report.errors)


@pytest.mark.parametrize("mime", MIMES)
def test_a_file_without_credentials(media, mime):
    assert read(media[mime], mime) == provenance.Report(present=False, valid=False, state="")


@pytest.mark.parametrize(("data", "mime"), [(b"", "image/png"), (b"not a picture at all", "image/png"),
                                            (b"\x00" * 64, "video/mp4"), (os.urandom(500), "image/jpeg")])
def test_garbage_is_reported_not_raised(data, mime):
    report = read(data, mime)

    assert not report.present and not report.valid
    assert report.errors


def test_a_truncated_signed_file_is_not_valid(media):
    signed = embed(media["image/jpeg"], "image/jpeg", FACTS, title="t")

    report = read(signed[: len(signed) * 3 // 4], "image/jpeg")

    assert not report.valid
    assert report.errors


def test_other_types_are_refused():
    with pytest.raises(ValueError, match="image/gif"):
        embed(b"GIF89a", "image/gif", FACTS, title="t")


def test_the_development_certificates_are_made_once(settings, media):
    directory = Path(settings.C2PA_DIR)
    embed(media["image/jpeg"], "image/jpeg", FACTS, title="t")
    files = {name: (directory / name).read_bytes() for name in ("ca.pem", "signer.pem", "signer.key")}
    assert stat.S_IMODE((directory / "signer.key").stat().st_mode) == 0o600

    embed(media["image/png"], "image/png", FACTS, title="t")
    read(media["image/png"], "image/png")

    assert {name: (directory / name).read_bytes() for name in files} == files
    ca = x509.load_pem_x509_certificate(files["ca.pem"])
    signer = x509.load_pem_x509_certificate(files["signer.pem"])
    signer.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert signer.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in signer.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value


def test_the_signer_is_built_once_per_process(media):
    embed(media["image/jpeg"], "image/jpeg", FACTS, title="t")
    pems = provenance._signer_pems()

    assert provenance._signing_context(*pems) is provenance._signing_context(*pems)


def test_a_configured_certificate_signs_and_its_roots_are_trusted(settings, media, tmp_path):
    root, cert, key = _certificate_chain(tmp_path, "Storyloom Production")
    settings.C2PA_SIGN_CERT, settings.C2PA_SIGN_KEY = str(cert), str(key)
    settings.C2PA_TRUST_ANCHORS = str(root)

    report = read(embed(media["image/png"], "image/png", FACTS, title="t"), "image/png")

    assert report.valid, report.errors
    assert report.signer == "Storyloom Production"
    assert not Path(settings.C2PA_DIR).exists()  # no development certificates made


def test_a_configured_certificate_needs_its_key_and_roots(settings, tmp_path):
    _root, cert, key = _certificate_chain(tmp_path, "Storyloom Production")
    settings.C2PA_SIGN_CERT = str(cert)
    with pytest.raises(ImproperlyConfigured, match="C2PA_SIGN_KEY"):
        embed(b"", "image/png", FACTS, title="t")
    settings.C2PA_SIGN_KEY = str(key)
    with pytest.raises(ImproperlyConfigured, match="C2PA_TRUST_ANCHORS"):
        read(b"", "image/png")


def _certificate_chain(directory: Path, common_name: str) -> tuple[Path, Path, Path]:
    """A root and a P-384 signing certificate it issued, as files: (root, certificate, key)."""
    now = dt.datetime.now(dt.UTC)

    def builder(subject: str, issuer: str, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))

    root_key, key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1())
    root = (builder("Test Root", "Test Root", root_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(provenance._key_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .sign(root_key, hashes.SHA384()))
    cert = (builder(common_name, "Test Root", key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(provenance._key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA384()))
    paths = directory / "root.pem", directory / "signer.pem", directory / "signer.key"
    paths[0].write_bytes(root.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths
