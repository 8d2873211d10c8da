"""The columns of the certificate import, as its operation describes them (read
from the row model, so they cannot drift)."""

from __future__ import annotations

from services.certs.schemas import CertificateImportRow
from services.common.importing.columns import columns_of, describe_import

CERTIFICATE_IMPORT_DESCRIPTION = describe_import(
    "One certificate per row, registered as submitted for an HR officer of the holder's "
    "agency to verify; idempotent by the catalogue entry's issuer and `certificate_number` "
    "(a row re-sent for the same holder and day is counted as unchanged).",
    columns_of(
        CertificateImportRow,
        {
            "person_id": "P0012345",
            "agency_code": "A01",
            "catalogue_code": "aws-ai-practitioner",
            "certificate_number": "AWS-AIF-0001234",
            "obtained_on": "2026-08-14",
        },
        formats={"obtained_on": "ISO date (YYYY-MM-DD) or ROC date (115/08/14)"},
    ),
)
