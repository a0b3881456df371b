"""Follow-up reports computed from the stored events (issue 4): KPIs per day,
entrance and urgency, for `chatserver report` and the admin HTTP API."""

from __future__ import annotations

from chatserver.reports.kpi import (
    CaseCounts,
    DayEntrance,
    KpiReport,
    UrgencyWait,
    kpis,
    percentile,
)

__all__ = ["CaseCounts", "DayEntrance", "KpiReport", "UrgencyWait", "kpis", "percentile"]
