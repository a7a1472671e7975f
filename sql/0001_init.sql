-- 0001: people, sessions, API tokens, sign-in attempts, settings and the
-- audit log.  Applied by store_open() inside BEGIN IMMEDIATE; the last
-- statement records the schema version.  Times are Unix seconds except
-- audit_log.at (UTC ISO 8601 text, part of the hash chain).

CREATE TABLE users (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE
			CHECK (length(name) BETWEEN 1 AND 64),
	pw_hash		TEXT,			-- libscrypt MCF; NULL: none
	role		TEXT NOT NULL DEFAULT 'user'
			CHECK (role IN ('admin', 'user')),
	disabled	INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL
) STRICT;

-- The cookie value is never stored: id is its SHA-256 in hex.
CREATE TABLE sessions (
	id		TEXT PRIMARY KEY CHECK (length(id) = 64),
	user_id		INTEGER NOT NULL REFERENCES users(id)
			ON DELETE CASCADE,
	csrf		TEXT NOT NULL,
	created		INTEGER NOT NULL,
	expires		INTEGER NOT NULL,
	ip		TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires);

-- Bearer tokens "acme_..." for scripts, stored as SHA-256 hex only.
CREATE TABLE api_tokens (
	id		INTEGER PRIMARY KEY,
	user_id		INTEGER NOT NULL REFERENCES users(id)
			ON DELETE CASCADE,
	name		TEXT NOT NULL DEFAULT '',
	token_hash	TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
	hint		TEXT NOT NULL DEFAULT '',	-- "acme_AbCd…"
	created		INTEGER NOT NULL,
	last_used	INTEGER,
	revoked		INTEGER			-- when; NULL while usable
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens(user_id, id);

-- Sign-in rate limit: failures per user name and per IP in a window.
CREATE TABLE login_attempts (
	id		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL,
	ip		TEXT NOT NULL,
	user		TEXT NOT NULL,
	ok		INTEGER NOT NULL CHECK (ok IN (0, 1))
) STRICT;
CREATE INDEX login_attempts_user ON login_attempts(user, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);
CREATE INDEX login_attempts_at ON login_attempts(at);

CREATE TABLE settings (
	key		TEXT PRIMARY KEY,
	value		TEXT NOT NULL,
	updated		INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Append-only and hash-chained: hash = SHA-256(prev_hash || canonical
-- row) in hex (audit.c); the first row's prev_hash is 64 zeros.  The
-- triggers stop accidents; the chain (acme-admin audit verify) catches
-- deliberate edits.  settings 'audit.head' holds "id:hash" of the newest
-- entry so that cutting rows off the end is noticed too.
CREATE TABLE audit_log (
	id		INTEGER PRIMARY KEY,
	at		TEXT NOT NULL CHECK (length(at) = 20),
	actor		TEXT NOT NULL,
	ip		TEXT NOT NULL DEFAULT '',
	action		TEXT NOT NULL,
	object		TEXT NOT NULL DEFAULT '',
	result		TEXT NOT NULL CHECK (result IN ('ok', 'fail', 'denied')),
	detail		TEXT NOT NULL DEFAULT '',
	prev_hash	TEXT NOT NULL CHECK (length(prev_hash) = 64),
	hash		TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX audit_at ON audit_log(at);
CREATE INDEX audit_actor ON audit_log(actor, id);
CREATE INDEX audit_action ON audit_log(action, id);
CREATE INDEX audit_object ON audit_log(object, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;

PRAGMA user_version = 1;
