-- Administration at run time: pools (name, hours, handover) and entrances
-- changed through the admin API override the region's TOML, key by key, and
-- survive restarts. A row's value is the JSON of the whole pool or entrance
-- as it now stands, or null for an entrance an administrator removed.

CREATE TABLE admin_settings (
    kind        TEXT NOT NULL CHECK (kind IN ('pool', 'entrance')),
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated     INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
