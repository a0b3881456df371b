"""SMS notices to patients: texts, senders and the persisted outbox."""
