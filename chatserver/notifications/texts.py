"""The only texts an SMS may carry. No health information, ever
(shared/DOMAIN.md, SMS; Patientdatalagen): just that something happened and
that the patient should log in."""

from __future__ import annotations

TEXTS = {
    "your_turn": "Det är din tur. Logga in för att chatta med vården.",
    "staff_replied": "Du har fått ett svar från vården. Logga in för att läsa det.",
    "case_closed": "Din vårdkontakt är avslutad. Logga in för att läsa mer.",
}
