// Which screen shows what: a route is {name, ...params}; these decide the
// route for a case, an outcome and a new contact.

/** States in which the case is a conversation (or waiting for one). */
export function isChatState(state) {
  return ["queued", "assigned", "active", "waiting", "closed", "reopened"].includes(state);
}

/** Where "new contact" starts: choose whom, unless there is only the user. */
export function newContactRoute(home) {
  const subjects = home?.subjects ?? [];
  return subjects.length > 1 ? { name: "who" } : { name: "where", subject: "self" };
}

/** After triage: the queue is the chat screen; everything else has its own. */
export function outcomeRoute(outcome) {
  return outcome.disposition === "queue"
    ? { name: "chat", case: outcome.case }
    : { name: "outcome", case: outcome.case };
}

/** Opening a case from the list. */
export function caseRoute(c) {
  if (isChatState(c.state)) return { name: "chat", case: c.case };
  if (c.state === "triage") return { name: "questions", case: c.case };
  return { name: "outcome", case: c.case };
}
