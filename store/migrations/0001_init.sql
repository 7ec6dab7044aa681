-- gongkai schema, version 1: the whole 依申请公开 desk.
-- Dates are TEXT 'YYYY-MM-DD' (civil dates, RULES.md §3); timestamps are TEXT RFC 3339 in UTC.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    roles         TEXT NOT NULL DEFAULT '',      -- comma-separated gongkai.Role
    department    TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,                 -- sha256 of the cookie value
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE case_seq (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    case_no        TEXT NOT NULL UNIQUE,
    query_code     TEXT NOT NULL,
    applicant_type TEXT NOT NULL DEFAULT '',
    name           TEXT NOT NULL DEFAULT '',
    id_type        TEXT NOT NULL DEFAULT '',
    id_number      TEXT NOT NULL DEFAULT '',
    org_name       TEXT NOT NULL DEFAULT '',
    credit_code    TEXT NOT NULL DEFAULT '',
    legal_rep      TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    address        TEXT NOT NULL DEFAULT '',
    postcode       TEXT NOT NULL DEFAULT '',
    workplace      TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    purpose        TEXT NOT NULL DEFAULT '',
    form           TEXT NOT NULL DEFAULT '',
    delivery       TEXT NOT NULL DEFAULT '',
    channel        TEXT NOT NULL,
    arrived_at     TEXT NOT NULL,
    received_on    TEXT NOT NULL,
    status         TEXT NOT NULL,
    nature         TEXT NOT NULL DEFAULT 'request',
    department     TEXT NOT NULL DEFAULT '',
    assignee       TEXT NOT NULL DEFAULT '',
    clock_state    TEXT NOT NULL DEFAULT 'running',
    clock_from     TEXT NOT NULL DEFAULT '',
    clock_used     INTEGER NOT NULL DEFAULT 0,
    clock_limit    INTEGER NOT NULL DEFAULT 20,
    due_on         TEXT NOT NULL DEFAULT '',
    correction_due TEXT NOT NULL DEFAULT '',
    suspended_until TEXT NOT NULL DEFAULT '',
    extended       INTEGER NOT NULL DEFAULT 0,
    extension_pending INTEGER NOT NULL DEFAULT 0,
    fee_yuan       INTEGER NOT NULL DEFAULT 0,
    result         TEXT NOT NULL DEFAULT '',
    answered_on    TEXT NOT NULL DEFAULT '',
    duplicate_of   TEXT NOT NULL DEFAULT '',
    notes          TEXT NOT NULL DEFAULT '',
    idem_key       TEXT UNIQUE,                  -- idempotency key of the submission that created it
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX cases_status ON cases(status);
CREATE INDEX cases_received ON cases(received_on);
CREATE INDEX cases_answered ON cases(answered_on);
CREATE INDEX cases_assignee ON cases(assignee, status);
CREATE INDEX cases_due ON cases(due_on);
CREATE INDEX cases_id_number ON cases(id_number) WHERE id_number <> '';

-- Append-only history of every case (who, when, what, why).
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '',
    reason  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_case ON events(case_id, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Every inbound message, verbatim.
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER REFERENCES cases(id),
    channel      TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    arrived_at   TEXT NOT NULL,
    raw          BLOB NOT NULL,
    sha256       TEXT NOT NULL,
    message_id   TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    from_addr    TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL DEFAULT '',       -- gongkai.MessageKind; '' = not yet classified
    malformed    INTEGER NOT NULL DEFAULT 0,
    defects      TEXT NOT NULL DEFAULT '',
    parse_error  TEXT NOT NULL DEFAULT '',
    verdict_json TEXT NOT NULL DEFAULT '',
    processed    INTEGER NOT NULL DEFAULT 0,     -- 0 = stored, awaiting parse/classify
    created_at   TEXT NOT NULL
);
CREATE INDEX messages_case ON messages(case_id);
CREATE INDEX messages_msgid ON messages(message_id) WHERE message_id <> '';
CREATE INDEX messages_sha ON messages(sha256);
CREATE INDEX messages_pending ON messages(processed) WHERE processed = 0;

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    sniffed      TEXT NOT NULL DEFAULT '',
    size         INTEGER NOT NULL,
    data         BLOB NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

-- IMAP cursor, moved in the same transaction as the stored messages.
CREATE TABLE imap_state (
    mailbox     TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL
);

-- Classifier verdicts overridden by staff.
CREATE TABLE verdict_overrides (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER REFERENCES cases(id),
    message_id INTEGER REFERENCES messages(id),
    field    TEXT NOT NULL,
    proposed TEXT NOT NULL,
    chosen   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL
);

CREATE TABLE departments (
    name TEXT PRIMARY KEY,
    sort INTEGER NOT NULL DEFAULT 0
);

-- Department routing rules edited by an admin (classifier issue).
CREATE TABLE routing_rules (
    id         INTEGER PRIMARY KEY,
    department TEXT NOT NULL,
    pattern    TEXT NOT NULL,
    is_regex   INTEGER NOT NULL DEFAULT 0,
    priority   INTEGER NOT NULL DEFAULT 0,
    enabled    INTEGER NOT NULL DEFAULT 1,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT ''
);

-- 行政复议 / 行政诉讼 recorded against a case (section 四).
CREATE TABLE appeals (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    kind       TEXT NOT NULL,                    -- 行政复议 / 直接起诉 / 复议后起诉
    filed_on   TEXT NOT NULL,
    outcome    TEXT NOT NULL DEFAULT '尚未审结',
    decided_on TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    UNIQUE (case_id, kind, filed_on)
);

-- Letter templates, versioned; a letter records the version it used.
CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (key, version)
);

CREATE TABLE letters (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    kind             TEXT NOT NULL,              -- template key, e.g. receipt, correction, result.disclosed
    template_version INTEGER NOT NULL DEFAULT 0,
    doc_no           TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    body             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'draft', -- draft, reviewed, approved, sent, printed
    review_by        TEXT NOT NULL DEFAULT '',
    review_at        TEXT NOT NULL DEFAULT '',
    review_result    TEXT NOT NULL DEFAULT '',
    approved_by      TEXT NOT NULL DEFAULT '',
    approved_at      TEXT NOT NULL DEFAULT '',
    dispatched_at    TEXT NOT NULL DEFAULT '',
    message_id       TEXT NOT NULL DEFAULT '',   -- Message-ID of the mail that carried it
    created_by       TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL
);
CREATE INDEX letters_case ON letters(case_id);
CREATE INDEX letters_msgid ON letters(message_id) WHERE message_id <> '';

-- Durable outbox: at-least-once delivery, de-duplicated by Message-ID.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER REFERENCES cases(id),
    letter_id       INTEGER REFERENCES letters(id),
    message_id      TEXT NOT NULL UNIQUE,
    mail_from       TEXT NOT NULL,
    rcpt            TEXT NOT NULL,
    raw             BLOB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued', -- queued, sending, sent, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    sent_at         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Working-day calendar entries added or corrected by an admin (workday/).
CREATE TABLE calendar_days (
    date       TEXT PRIMARY KEY,
    working    INTEGER NOT NULL,                 -- 1 = working day (调休), 0 = day off
    name       TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE calendar_years (
    year INTEGER PRIMARY KEY                     -- years whose schedule an admin loaded
);

-- Reminders already sent, so that a restart never sends one twice for a day.
CREATE TABLE reminders_sent (
    day      TEXT NOT NULL,
    username TEXT NOT NULL,
    kind     TEXT NOT NULL,
    PRIMARY KEY (day, username, kind)
);

CREATE TABLE chat_sessions (
    id         TEXT PRIMARY KEY,
    state      TEXT NOT NULL,                    -- JSON dialog state
    case_id    INTEGER REFERENCES cases(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE chat_turns (
    id         INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    role       TEXT NOT NULL,                    -- user, bot
    text       TEXT NOT NULL
);
CREATE INDEX chat_turns_session ON chat_turns(session_id, id);

-- Annual report inputs entered by staff: section 二 figures and prose drafts.
CREATE TABLE report_drafts (
    year       INTEGER PRIMARY KEY,
    proactive  TEXT NOT NULL DEFAULT '',         -- JSON per contracts/annual-report.md "proactive"
    texts      TEXT NOT NULL DEFAULT '',         -- JSON: section → text
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT ''
);
