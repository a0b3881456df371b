"""Every text the desktop client shows, in Swedish (the default: staff work
in Swedish) and English. One table, so a missing translation is a test
failure rather than an English word in a Swedish window.

Texts the server writes (triage summaries, system messages) arrive in the
language the server chose and are shown as they are.
"""

from __future__ import annotations

LANGUAGES = ("sv", "en")

TEXTS: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------- application
    "app.title": ("Digitala vårdentrén – personal", "Digital care entrance – staff"),
    "app.title_user": ("{name} – Digitala vårdentrén", "{name} – Digital care entrance"),
    # ---------------------------------------------------------- login
    "login.title": ("Logga in", "Log in"),
    "login.heading": ("Logga in för att arbeta", "Log in to work"),
    "login.server": ("Server", "Server"),
    "login.user": ("Användarnamn", "User name"),
    "login.password": ("Lösenord", "Password"),
    "login.language": ("Språk", "Language"),
    "login.submit": ("Logga in", "Log in"),
    "login.busy": ("Loggar in…", "Logging in…"),
    "login.relogin": (
        "Sessionen har gått ut. Logga in igen för att fortsätta; inget du skrivit går förlorat.",
        "Your session has ended. Log in again to go on; nothing you wrote is lost.",
    ),
    "lang.sv": ("Svenska", "Swedish"),
    "lang.en": ("Engelska", "English"),
    # ---------------------------------------------------------- connection
    "status.online": ("Ansluten", "Connected"),
    "status.offline": (
        "Ingen anslutning – försöker igen. Det du skickar skickas när anslutningen är tillbaka.",
        "Not connected – retrying. What you send goes out when the connection is back.",
    ),
    "status.user": ("{name} · {pools}", "{name} · {pools}"),
    # ---------------------------------------------------------- menus and actions
    "menu.shift": ("&Pass", "&Shift"),
    "menu.case": ("Ä&rende", "&Case"),
    "menu.help": ("&Hjälp", "&Help"),
    "action.claim_next": ("Ta &nästa ärende", "Take &next case"),
    "action.close_tab": ("Stäng fli&ken", "Close &tab"),
    "action.next_tab": ("Nästa flik", "Next tab"),
    "action.prev_tab": ("Föregående flik", "Previous tab"),
    "action.focus_queue": ("Gå till &kön", "Go to &queue"),
    "action.phrases": ("&Fraser…", "&Phrases…"),
    "action.logout": ("&Logga ut", "&Log out"),
    "action.quit": ("&Avsluta programmet", "&Quit"),
    "action.send": ("&Skicka", "&Send"),
    "action.photo": ("Be om &foto", "Ask for a &photo"),
    "action.note": ("Intern &anteckning", "Internal &note"),
    "action.transfer": ("&Lämna över…", "&Hand over…"),
    "action.consult": ("&Konsultera…", "&Consult…"),
    "action.retriage": ("&Ändra brådska…", "Change &urgency…"),
    "action.release": ("&Lägg tillbaka i kön", "&Return to queue"),
    "action.close_case": ("&Avsluta ärendet…", "&Close case…"),
    "action.book": ("&Boka tid…", "&Book…"),
    "action.shortcuts": ("&Kortkommandon", "&Keyboard shortcuts"),
    "shortcuts.text": (
        "Ctrl+N  ta nästa ärende\nCtrl+Enter  skicka\nCtrl+W  stäng fliken\n"
        "Ctrl+Shift+B  boka tid\nCtrl+Shift+R  lägg tillbaka i kön\nCtrl+Shift+F  fraser\n"
        "Ctrl+Tab / Ctrl+Shift+Tab  byt flik\nCtrl+L  gå till kön\n"
        "Ctrl+Shift+P  be om foto\nCtrl+Shift+M  intern anteckning\n"
        "Ctrl+Shift+H  lämna över\nCtrl+Shift+K  konsultera\n"
        "Ctrl+Shift+U  ändra brådska\nCtrl+Shift+E  avsluta ärendet\n"
        "/nyckel + mellanslag eller Tab  infoga fras",
        "Ctrl+N  take next case\nCtrl+Enter  send\nCtrl+W  close tab\n"
        "Ctrl+Shift+B  book\nCtrl+Shift+R  return to queue\nCtrl+Shift+F  phrases\n"
        "Ctrl+Tab / Ctrl+Shift+Tab  switch tab\nCtrl+L  go to queue\n"
        "Ctrl+Shift+P  ask for a photo\nCtrl+Shift+M  internal note\n"
        "Ctrl+Shift+H  hand over\nCtrl+Shift+K  consult\n"
        "Ctrl+Shift+U  change urgency\nCtrl+Shift+E  close case\n"
        "/key + space or Tab  insert phrase",
    ),
    # ---------------------------------------------------------- queues
    "queue.title": ("Köer", "Queues"),
    "queue.pools": ("Köer jag arbetar i", "Queues I work"),
    "queue.pool_title": ("{name} – {n} väntar", "{name} – {n} waiting"),
    "queue.pool_closed": ("{name} – {n} väntar (stängd nu)", "{name} – {n} waiting (closed now)"),
    "queue.more": ("Visar de första {shown} av {total}.", "Showing the first {shown} of {total}."),
    "queue.empty": ("Ingen väntar.", "Nobody is waiting."),
    "queue.stale": ("(senast kända läge)", "(last known)"),
    "queue.claim_pool": ("Ta nästa här", "Take next here"),
    "queue.col.urgency": ("Brådska", "Urgency"),
    "queue.col.waited": ("Väntat", "Waited"),
    "queue.col.deadline": ("Svar senast", "Answer due"),
    "queue.col.patient": ("Patient och besvär", "Patient and complaint"),
    "queue.patient": ("{name}, {age} år", "{name}, {age} yrs"),
    "queue.open_hint": (
        "Dubbelklicka eller tryck Enter för att ta ärendet.",
        "Double-click or press Enter to take the case.",
    ),
    "queue.mine": ("Mina ärenden", "My cases"),
    "tabs.empty": (
        "Inga öppna ärenden.\n\nCtrl+N tar nästa ärende i dina köer.\n"
        "Enter eller dubbelklick på en rad i kön tar just det ärendet.\n"
        "F1 visar alla kortkommandon.",
        "No open cases.\n\nCtrl+N takes the next case in your queues.\n"
        "Enter or a double click on a queue row takes that case.\nF1 lists every shortcut.",
    ),
    "alert.u1": (
        "OMGÅENDE (U1): {name}, {age} år, har väntat {waited} – {what}",
        "IMMEDIATE (U1): {name}, {age} yrs, waited {waited} – {what}",
    ),
    "alert.u1_many": ("och {n} till", "and {n} more"),
    "alert.take": ("Ta ärendet", "Take the case"),
    "alert.dismiss": ("Dölj", "Dismiss"),
    "alert.consult": (
        "{by} frågar om ett ärende: {question}",
        "{by} asks about a case: {question}",
    ),
    "alert.open": ("Öppna", "Open"),
    # ---------------------------------------------------------- time
    "time.under_minute": ("< 1 min", "< 1 min"),
    "time.minutes": ("{n} min", "{n} min"),
    "time.hours": ("{h} h {m} min", "{h} h {m} min"),
    "time.days": ("{d} d {h} h", "{d} d {h} h"),
    "time.left": ("om {d}", "in {d}"),
    "time.late": ("försenad {d}", "late {d}"),
    "weekday.0": ("mån", "Mon"),
    "weekday.1": ("tis", "Tue"),
    "weekday.2": ("ons", "Wed"),
    "weekday.3": ("tor", "Thu"),
    "weekday.4": ("fre", "Fri"),
    "weekday.5": ("lör", "Sat"),
    "weekday.6": ("sön", "Sun"),
    # ---------------------------------------------------------- urgency
    "urgency.0": ("Ring 112", "Call 112"),
    "urgency.1": ("Omgående", "Immediate"),
    "urgency.2": ("Skyndsamt", "Urgent"),
    "urgency.3": ("Samma dag", "Same day"),
    "urgency.4": ("Inom ett dygn", "Within 24 h"),
    "urgency.5": ("Inom en vecka", "Routine"),
    "urgency.6": ("Egenvård", "Self-care"),
    # ---------------------------------------------------------- case states
    "state.triage": ("i triage", "in triage"),
    "state.self_care": ("egenvård", "self-care"),
    "state.referred_112": ("hänvisad till 112", "referred to 112"),
    "state.queued": ("i kö", "queued"),
    "state.assigned": ("tilldelad", "assigned"),
    "state.active": ("pågår", "active"),
    "state.waiting": ("väntar på patienten", "waiting for the patient"),
    "state.closed": ("avslutat", "closed"),
    "state.reopened": ("återöppnat", "reopened"),
    # ---------------------------------------------------------- the case
    "case.header": (
        "{name}, {age} år · {state} · {pool}",
        "{name}, {age} yrs · {state} · {pool}",
    ),
    "case.assignee": ("Handläggs av {name}", "Handled by {name}"),
    "case.not_yours": (
        "Du är inte handläggare för ärendet: du kan läsa och skriva i den interna tråden.",
        "You are not handling this case: you may read it and write in the internal thread.",
    ),
    "case.gone": (
        "Ärendet är inte längre ditt ({state}, {pool}).",
        "The case is no longer yours ({state}, {pool}).",
    ),
    "case.loading": ("Hämtar ärendet…", "Loading the case…"),
    "case.triage": ("Triage", "Triage"),
    "case.no_triage": (
        "Ingen automatisk triage (direktingång: {entrance}).",
        "No automated triage (direct entrance: {entrance}).",
    ),
    "case.complaint": ("Patientens beskrivning", "The patient's description"),
    "case.summary": ("Sammanfattning", "Summary"),
    "case.outcome": ("Utfall: {urgency}, {disposition}", "Outcome: {urgency}, {disposition}"),
    "case.answers": ("Svar på frågorna", "Answers to the questions"),
    "case.col.question": ("Fråga", "Question"),
    "case.col.answer": ("Svar", "Answer"),
    "case.provenance": ("Spårbarhet (MDR)", "Provenance (MDR)"),
    "case.earlier": ("Tidigare ärenden, senaste 4 dygnen", "Earlier cases, last 4 days"),
    "case.no_earlier": (
        "Inga andra ärenden de senaste 4 dygnen.",
        "No other cases in the last 4 days.",
    ),
    "case.earlier_row": (
        "{when} · {urgency} · {state} · {what}",
        "{when} · {urgency} · {state} · {what}",
    ),
    "case.chat": ("Chatt med patienten", "Chat with the patient"),
    "case.staff_thread": (
        "Intern tråd (syns inte för patienten)",
        "Internal thread (patients never see it)",
    ),
    "case.compose": ("Skriv till patienten", "Write to the patient"),
    "case.compose_hint": (
        "Skriv /nyckel för en fras. Ctrl+Enter skickar.",
        "Type /key for a phrase. Ctrl+Enter sends.",
    ),
    "case.note_compose": ("Skriv en intern anteckning", "Write an internal note"),
    "case.consultants": ("Konsulterade: {names}", "Consulted: {names}"),
    "case.photo_default": (
        "Kan du skicka en bild? Tryck på knappen för att ta eller välja ett foto.",
        "Could you send a photo? Press the button to take or choose one.",
    ),
    "case.closed_done": ("Ärendet avslutades: {outcome}.", "The case was closed: {outcome}."),
    "case.transferred": (
        "Ärendet lämnades över till {pool}.",
        "The case was handed over to {pool}.",
    ),
    "case.released": ("Ärendet lades tillbaka i kön.", "The case went back to the queue."),
    "case.retriaged": ("Brådskan är nu {urgency}.", "The urgency is now {urgency}."),
    "case.consulted": ("Frågan skickades.", "The question was sent."),
    "case.noted": ("Anteckningen sparades.", "The note was saved."),
    "case.answered": ("Svaret skickades.", "The answer was sent."),
    "case.claimed": ("Du tog ärendet: {name}.", "You took the case: {name}."),
    "case.queue_empty": ("Ingen väntar i dina köer.", "Nobody is waiting in your queues."),
    "case.photo_requested": ("Fotoförfrågan skickad.", "Photo request sent."),
    # ---------------------------------------------------------- chat
    "chat.empty": ("Inga meddelanden än.", "No messages yet."),
    "chat.sending": ("skickas…", "sending…"),
    "chat.waiting": ("väntar på anslutning", "waiting for the connection"),
    "chat.read": ("läst", "read"),
    "chat.photo_request": ("Fotoförfrågan", "Photo request"),
    "chat.photo": ("Foto – klicka för att visa", "Photo – click to view"),
    "chat.photo_loading": ("Foto (hämtas…)", "Photo (loading…)"),
    "chat.typing": ("{name} skriver…", "{name} is typing…"),
    "chat.system": ("Meddelande från systemet", "System message"),
    "chat.role.consultant": ("konsult", "consultant"),
    "chat.role.guardian": ("vårdnadshavare", "guardian"),
    # ---------------------------------------------------------- dialogs
    "dialog.cancel": ("Avbryt", "Cancel"),
    "transfer.ok": ("Lämna över", "Hand over"),
    "consult.ok": ("Skicka frågan", "Send the question"),
    "retriage.ok": ("Ändra brådska", "Change urgency"),
    "close.ok": ("Avsluta ärendet", "Close the case"),
    "transfer.title": ("Lämna över ärendet", "Hand the case over"),
    "transfer.pool": ("Till (kö eller yrkesgrupp)", "To (queue or profession)"),
    "transfer.note": ("Överlämningsanteckning", "Handover note"),
    "transfer.help": (
        "Ärendet, dess historik och chatten flyttas till kön. Patienten ser att ärendet flyttats.",
        "The case, its history and its chat move to the queue. The patient sees the move.",
    ),
    "consult.title": ("Konsultera", "Consult"),
    "consult.whom": ("Fråga", "Ask"),
    "consult.pool": ("en kö eller yrkesgrupp", "a queue or profession"),
    "consult.staff": ("en kollega (användar-id)", "a colleague (user id)"),
    "consult.question": ("Fråga", "Question"),
    "consult.help": (
        "Kollegan får läsa ärendet och svarar i den interna tråden. Ärendet stannar hos dig.",
        "The colleague may read the case and answers in the internal thread. The case stays yours.",
    ),
    "retriage.title": ("Ändra brådska", "Change urgency"),
    "retriage.urgency": ("Ny brådska", "New urgency"),
    "retriage.reason": ("Skäl (loggas)", "Reason (logged)"),
    "retriage.help": (
        "Svarstiden räknas om från när ärendet först kom in i kön.",
        "The deadline is recomputed from when the case first entered the queue.",
    ),
    "close.title": ("Avsluta ärendet", "Close the case"),
    "close.outcome": ("Utfall", "Outcome"),
    "close.note": ("Anteckning (krävs vid ordningsbrott)", "Note (required for conduct)"),
    "close.need_note": ("Skriv varför chatten avslutas.", "Write why the chat is ended."),
    "outcome.advice": ("Råd givet", "Advice given"),
    "outcome.booked": ("Tid bokad", "Appointment booked"),
    "outcome.referred": ("Hänvisad", "Referred"),
    "outcome.transferred": ("Överlämnad", "Transferred"),
    "outcome.conduct": ("Avslutad p.g.a. ordningsbrott", "Ended for breach of conduct"),
    "outcome.no_answer": ("Patienten svarade inte", "No answer from the patient"),
    "phrases.title": ("Fraser", "Phrases"),
    "phrases.key": ("Nyckel", "Key"),
    "phrases.text": ("Text", "Text"),
    "phrases.scope": ("Gäller", "Scope"),
    "phrases.personal": ("Personlig", "Personal"),
    "phrases.shared": ("Delad i {pool}", "Shared in {pool}"),
    "phrases.save": ("Spara", "Save"),
    "phrases.delete": ("Ta bort", "Delete"),
    "phrases.close": ("Stäng", "Close"),
    "phrases.help": (
        "Skriv /nyckel i chatten. {patient}, {staff} och {unit} fylls i automatiskt.",
        "Type /key in the chat. {patient}, {staff} and {unit} are filled in for you.",
    ),
    "phrases.matches": ("Fraser: {list}", "Phrases: {list}"),
    "booking.title": ("Boka tid", "Book an appointment"),
    "booking.kind": ("Typ av besök", "Kind of visit"),
    "booking.any": ("Alla", "Any"),
    "booking.slots": (
        "Lediga tider de närmaste {days} dagarna",
        "Free times in the next {days} days",
    ),
    "booking.none": ("Inga lediga tider.", "No free times."),
    "booking.loading": ("Hämtar lediga tider…", "Loading free times…"),
    "booking.ok": ("Boka", "Book"),
    "booking.slot": ("{when} · {kind} · {unit}", "{when} · {kind} · {unit}"),
    "booking.row": ("{when} · {kind} · {unit} · {state}", "{when} · {kind} · {unit} · {state}"),
    "booking.active": ("bokad", "booked"),
    "booking.cancelled": ("avbokad", "cancelled"),
    "booking.booked": ("Tid bokad: {when}.", "Booked: {when}."),
    "booking.cancel": ("Avboka", "Cancel booking"),
    "booking.cancelled_done": ("Tiden avbokades: {when}.", "Booking cancelled: {when}."),
    "booking.list": ("Bokningar", "Bookings"),
    "booking.empty": ("Inga bokningar för ärendet.", "No bookings for this case."),
    "kind.nurse": ("Sjuksköterska", "Nurse"),
    "kind.physician": ("Läkare", "Physician"),
    "kind.psychologist": ("Psykolog", "Psychologist"),
    "kind.secretary": ("Sekreterare", "Secretary"),
    "kind.bvc_nurse": ("BVC-sjuksköterska", "Child health nurse"),
    "photo.title": ("Foto", "Photo"),
    "photo.bad": ("Bilden kunde inte visas.", "The image could not be shown."),
    "required": ("Fyll i {field}.", "Fill in {field}."),
    # ---------------------------------------------------------- dispositions
    "disposition.self_care": ("egenvård", "self-care"),
    "disposition.call_112": ("ring 112", "call 112"),
    "disposition.queue": ("chattkö", "chat queue"),
    "disposition.booking": ("boka tid", "booking"),
    "disposition.redirect": ("hänvisad (stängt)", "redirected (closed)"),
    # ---------------------------------------------------------- pools (known keys)
    "pool.nurse_1177": ("1177 sjuksköterskor", "1177 nurses"),
    "pool.vc_nurse": ("Vårdcentralens sjuksköterskor", "Health centre nurses"),
    "pool.secretary": ("Vårdcentralens sekreterare", "Health centre secretaries"),
    "pool.physician": ("Läkare", "Physicians"),
    "pool.psychologist": ("Psykolog", "Psychologists"),
    "pool.bvc": ("Barnavårdscentralen (BVC)", "Child health centre (BVC)"),
    # ---------------------------------------------------------- errors
    "error.auth_failed": ("Fel användarnamn eller lösenord.", "Wrong user name or password."),
    "error.locked": (
        "För många misslyckade inloggningar. Kontot är låst en stund.",
        "Too many failed logins. The account is locked for a while.",
    ),
    "error.forbidden": ("Du får inte göra det här.", "You may not do this."),
    "error.not_found": (
        "Finns inte (eller syns inte för dig).",
        "Not found (or not visible to you).",
    ),
    "error.conflict": (
        "Någon annan hann före (t.ex. tog ärendet).",
        "Someone else was first (for example took the case).",
    ),
    "error.invalid_state": ("Ärendet tillåter inte det nu.", "The case does not allow this now."),
    "error.limit_reached": (
        "Du har redan så många ärenden som tillåts samtidigt.",
        "You already hold as many cases as allowed at once.",
    ),
    "error.duplicate": ("Redan gjort.", "Already done."),
    "error.bad_request": (
        "Servern godtog inte innehållet.",
        "The server did not accept the content.",
    ),
    "error.bad_field": ("Ett fält var felaktigt.", "A field was not valid."),
    "error.too_large": ("För stort.", "Too large."),
    "error.rate_limited": (
        "För många kommandon; försök igen strax.",
        "Too many commands; retry shortly.",
    ),
    "error.unavailable": (
        "Servern kan inte spara just nu; försök igen strax.",
        "The server cannot store anything now; retry shortly.",
    ),
    "error.busy": ("Servern är hårt belastad; försök igen.", "The server is busy; retry."),
    "error.shutting_down": ("Servern startar om.", "The server is restarting."),
    "error.connection_lost": (
        "Anslutningen bröts innan svaret kom; kontrollera ärendet.",
        "The connection dropped before the answer; check the case.",
    ),
    "error.unreachable": ("Servern går inte att nå.", "The server cannot be reached."),
    "error.timeout": ("Servern svarade inte i tid.", "The server did not answer in time."),
    "error.http": ("Servern svarade med ett fel.", "The server answered with an error."),
    "error.internal": ("Något gick fel i programmet.", "Something went wrong in the program."),
}


class Translator:
    """``tr("key", name=...)``: the text in the current language, formatted."""

    def __init__(self) -> None:
        self.lang = "sv"

    def set_language(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        self.lang = lang

    def has(self, key: str) -> bool:
        return key in TEXTS

    def __call__(self, key: str, **values: object) -> str:
        text = TEXTS[key][LANGUAGES.index(self.lang)]
        return text.format(**values) if values else text


tr = Translator()


def kind_name(kind: str) -> str:
    """A kind of visit (a profession) as staff say it; unknown ones as they are."""
    key = f"kind.{kind}"
    return tr(key) if tr.has(key) else kind


def pool_name(pool: str) -> str:
    """A pool as staff know it; unknown keys are shown as they are (the
    protocol gives pool keys only)."""
    key = f"pool.{pool}"
    return tr(key) if tr.has(key) else pool
