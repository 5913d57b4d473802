-- Portable DDL: the same text runs on SQLite and PostgreSQL. Dates are ISO text
-- (YYYY-MM-DD), which sorts and compares the same on both; coordinates are 8-byte floats.
CREATE TABLE sites (
    site_id      TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    town         TEXT NOT NULL,
    operator     TEXT NOT NULL,
    lat          DOUBLE PRECISION NOT NULL,
    lon          DOUBLE PRECISION NOT NULL,
    status       TEXT NOT NULL,
    planned_year BIGINT NOT NULL,
    on_air_date  TEXT,
    mgmt_ip      TEXT
);
CREATE INDEX sites_town_status ON sites (town, status);

CREATE TABLE site_status_history (
    site_id     TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    PRIMARY KEY (site_id, seq)
);

CREATE TABLE targets (
    town   TEXT NOT NULL,
    year   BIGINT NOT NULL,
    target BIGINT NOT NULL,
    PRIMARY KEY (town, year)
);

CREATE TABLE blind_spots (
    spot_id       TEXT PRIMARY KEY,
    town          TEXT NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    lon           DOUBLE PRECISION NOT NULL,
    category      TEXT NOT NULL,
    reported_date TEXT NOT NULL,
    status        TEXT NOT NULL,
    resolved_date TEXT
);
CREATE INDEX blind_spots_town_status ON blind_spots (town, status);

CREATE TABLE blind_spot_status_history (
    spot_id     TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    PRIMARY KEY (spot_id, seq)
);
