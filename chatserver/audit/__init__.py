"""The audit log of access to patient data (DESIGN rule 9, HSLF-FS 2016:40 4 kap. 9 §).

Append-only and tamper-evident: every row carries the hash of the one before
(``chain``), triggers refuse UPDATE and DELETE (migration 0004), ``verify``
re-walks the chain, and ``queries`` gives the patient's extract and a user's
listing for controls. The service appends; nobody else writes.
"""

from __future__ import annotations

from chatserver.audit.chain import (
    ACTIONS,
    AUDIT_INSERT,
    BASES,
    FIELDS,
    GENESIS,
    AuditChain,
    AuditEntry,
    AuditError,
    ChainHead,
    canonical,
    row_hash,
)
from chatserver.audit.queries import (
    AuditRow,
    ExtractEntry,
    audit_rows,
    extract_entries,
    patient_extract,
    patient_extract_query,
    user_listing,
    user_listing_query,
)
from chatserver.audit.verify import VerifyResult, verify

__all__ = [
    "ACTIONS",
    "AUDIT_INSERT",
    "BASES",
    "FIELDS",
    "GENESIS",
    "AuditChain",
    "AuditEntry",
    "AuditError",
    "AuditRow",
    "ChainHead",
    "ExtractEntry",
    "VerifyResult",
    "audit_rows",
    "canonical",
    "extract_entries",
    "patient_extract",
    "patient_extract_query",
    "row_hash",
    "user_listing",
    "user_listing_query",
    "verify",
]
