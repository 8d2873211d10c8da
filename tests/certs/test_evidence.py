"""Evidence files: told by their content, capped in size, stored by their
SHA-256, and nothing kept of a refused upload, neither on disk nor in the
database. Reading one is a personal-data read."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from services.certs.models import personal_data_reads
from tests.certs.conftest import HOLDER, HR_A01, HR_A02, OTHER_HOLDER, add_entry, submit, verify

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(20)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(30)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(50)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _put(
    call, certificate_id: int, data: bytes, who: dict[str, Any] = HOLDER, **headers: str
) -> Any:
    return call(
        "PUT",
        f"/certificates/{certificate_id}/evidence",
        who,
        content=data,
        headers={"Content-Type": "application/octet-stream", **headers},
    )


def _submitted(call) -> dict[str, Any]:
    return submit(call, add_entry(call)["current"]["id"])


def test_a_pdf_named_png_is_stored_as_the_pdf_it_is(call, settings) -> None:
    certificate = _submitted(call)
    answer = call(
        "PUT",
        f"/certificates/{certificate['id']}/evidence",
        HOLDER,
        files=None,
        content=PDF,
        headers={
            "Content-Type": "image/png",
            "Content-Disposition": 'attachment; filename="scan.png"',
        },
    )
    assert answer.status_code == 200, answer.text
    sha = hashlib.sha256(PDF).hexdigest()
    assert answer.json()["evidence"] == {
        "sha256": sha,
        "media_type": "application/pdf",
        "bytes": len(PDF),
    }
    stored = settings.storage_dir / sha[:2] / sha[2:4] / sha
    assert _files(settings.storage_dir) == [stored]
    assert stored.read_bytes() == PDF
    download = call("GET", f"/certificates/{certificate['id']}/evidence", HR_A01)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert "evidence.pdf" in download.headers["content-disposition"]


def test_png_and_jpeg_are_accepted_and_the_same_bytes_share_one_file(call, settings) -> None:
    version_id = add_entry(call)["current"]["id"]
    first = submit(call, version_id, number="1")
    second = submit(call, version_id, number="2")
    assert _put(call, first["id"], PNG).json()["evidence"]["media_type"] == "image/png"
    assert _put(call, second["id"], PNG).json()["evidence"]["media_type"] == "image/png"
    assert len(_files(settings.storage_dir)) == 1
    # A new upload replaces the certificate's evidence while it awaits its decision.
    assert _put(call, first["id"], JPEG).json()["evidence"]["media_type"] == "image/jpeg"
    assert len(_files(settings.storage_dir)) == 2


def _nothing_kept(call, settings, certificate_id: int) -> None:
    assert _files(settings.storage_dir) == []
    assert call("GET", f"/certificates/{certificate_id}", HOLDER).json()["evidence"] is None


def test_an_executable_named_pdf_is_415_and_nothing_is_kept(call, settings) -> None:
    certificate = _submitted(call)
    for data in (EXE, b"", b"%PD", b"just some text, not a scan"):
        answer = _put(call, certificate["id"], data, declared="application/pdf")
        assert answer.status_code == 415, (data, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"][0]["field"] == "body"
        _nothing_kept(call, settings, certificate["id"])


def test_too_large_is_413_and_nothing_is_kept(call, settings, monkeypatch) -> None:
    certificate = _submitted(call)
    monkeypatch.setattr(settings, "evidence_max_bytes", 1024)
    exactly = PDF + b" " * (1024 - len(PDF))
    over = exactly + b" "
    answer = _put(call, certificate["id"], over)
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    _nothing_kept(call, settings, certificate["id"])

    # Streamed without a length: refused once the bytes pass the cap.
    def chunks() -> Any:
        yield over[:600]
        yield over[600:]

    streamed = call(
        "PUT",
        f"/certificates/{certificate['id']}/evidence",
        HOLDER,
        content=chunks(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert streamed.status_code == 413
    _nothing_kept(call, settings, certificate["id"])
    assert _put(call, certificate["id"], exactly).status_code == 200


def test_a_declared_length_over_the_cap_is_refused_before_anything_is_read(call, settings) -> None:
    certificate = _submitted(call)
    answer = call(
        "PUT",
        f"/certificates/{certificate['id']}/evidence",
        HOLDER,
        content=PDF,
        headers={"Content-Length": str(settings.evidence_max_bytes + 1)},
    )
    assert answer.status_code == 413
    _nothing_kept(call, settings, certificate["id"])


def test_the_default_cap_is_five_mebibytes(settings) -> None:
    assert type(settings)().evidence_max_bytes == 5 * 1024 * 1024
    assert type(settings)().storage_dir.name == "certs-evidence"


def test_evidence_only_while_awaiting_a_decision_and_only_by_the_holder(call, settings) -> None:
    certificate = _submitted(call)
    assert _put(call, certificate["id"], PDF, who=OTHER_HOLDER).status_code == 404
    assert _put(call, certificate["id"], PDF, who=HR_A02).status_code == 404
    reader_only = {**HR_A01, "permissions": ["certs:certificates:read:agency"]}
    assert _put(call, certificate["id"], PDF, who=reader_only).status_code == 403
    verify(call, certificate["id"])
    answer = _put(call, certificate["id"], PDF)
    assert answer.status_code == 409
    _nothing_kept(call, settings, certificate["id"])


def test_reading_evidence_is_audited_and_reaches_only_what_the_certificate_does(
    call, certs_app
) -> None:
    certificate = _submitted(call)
    path = f"/certificates/{certificate['id']}/evidence"
    assert call("GET", path, HOLDER).status_code == 404  # none yet
    _put(call, certificate["id"], JPEG)
    assert call("GET", path, HOLDER).status_code == 200
    assert call("GET", path, HR_A02).status_code == 404
    assert call("GET", path, OTHER_HOLDER).status_code == 404
    with Session(certs_app.state.engine) as session:
        assert session.execute(select(personal_data_reads)).all() == []
    assert call("GET", path, HR_A01).status_code == 200
    with Session(certs_app.state.engine) as session:
        rows = session.execute(select(personal_data_reads)).mappings().all()
    assert [(r["reader"], r["subject_person_id"], r["resource"]) for r in rows] == [
        (HR_A01["sub"], HOLDER["person_id"], "certificate-evidence")
    ]
