-- 0002: ACME accounts, orders, authorizations, challenges, certificates
-- and per-order history.  Private keys are sealed by crypt.c (AES-256-GCM
-- under the KEK file) with the row as associated data ("account:ID",
-- "order:ID", "certificate:ID"), so a blob moved to another row fails.

CREATE TABLE accounts (
	id		INTEGER PRIMARY KEY,
	owner		INTEGER NOT NULL REFERENCES users(id),
	ca_url		TEXT NOT NULL,		-- directory URL
	ca_preset	TEXT,			-- 'letsencrypt', ... or NULL
	kid		TEXT,			-- account URL once registered
	contacts	TEXT NOT NULL DEFAULT '[]'
			CHECK (json_valid(contacts)
			    AND json_type(contacts) = 'array'),
	key_type	TEXT NOT NULL CHECK (key_type IN ('ec-256', 'ec-384',
			    'rsa-2048', 'rsa-3072', 'rsa-4096')),
	key_enc		BLOB,
	status		TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new',
			    'valid', 'deactivated', 'revoked', 'failed')),
	tos_agreed	INTEGER NOT NULL DEFAULT 0 CHECK (tos_agreed IN (0, 1)),
	eab_kid		TEXT,
	error		TEXT CHECK (error IS NULL OR json_valid(error)),
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL,
	UNIQUE (ca_url, kid)
) STRICT;
CREATE INDEX accounts_owner ON accounts(owner, id);

-- status: RFC 8555 7.1.6 plus 'new' (not yet placed with the CA) and
-- 'canceled'.  The sweep takes a lease (lease_owner, lease_until) before
-- working on an order; lease_token grows with every lease and fences
-- writes made by a holder whose lease ran out.
CREATE TABLE orders (
	id		INTEGER PRIMARY KEY,
	owner		INTEGER NOT NULL REFERENCES users(id),
	account_id	INTEGER NOT NULL REFERENCES accounts(id),
	order_url	TEXT UNIQUE,
	status		TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new',
			    'pending', 'ready', 'processing', 'valid',
			    'invalid', 'expired', 'canceled')),
	domains		TEXT NOT NULL CHECK (json_valid(domains)
			    AND json_type(domains) = 'array'),
	key_type	TEXT NOT NULL CHECK (key_type IN ('ec-256', 'ec-384',
			    'rsa-2048', 'rsa-3072', 'rsa-4096')),
	challenge_type	TEXT NOT NULL DEFAULT 'http-01'
			CHECK (challenge_type IN ('http-01', 'dns-01')),
	auto		INTEGER NOT NULL DEFAULT 1 CHECK (auto IN (0, 1)),
	auto_renew	INTEGER NOT NULL DEFAULT 1 CHECK (auto_renew IN (0, 1)),
	error		TEXT CHECK (error IS NULL OR json_valid(error)),
	expires		INTEGER,
	finalize_url	TEXT,
	cert_url	TEXT,
	key_enc		BLOB,			-- certificate key, at finalize
	replaces	TEXT,			-- ARI certID (RFC 9773)
	renews		INTEGER REFERENCES certificates(id),
	retry_at	INTEGER NOT NULL DEFAULT 0,
	tries		INTEGER NOT NULL DEFAULT 0,
	lease_owner	TEXT,
	lease_token	INTEGER NOT NULL DEFAULT 0,
	lease_until	INTEGER NOT NULL DEFAULT 0,
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL
) STRICT;
CREATE INDEX orders_owner ON orders(owner, id);
CREATE INDEX orders_owner_status ON orders(owner, status, id);
CREATE INDEX orders_status ON orders(status, id);
CREATE INDEX orders_created ON orders(created);
CREATE INDEX orders_updated ON orders(updated);
CREATE INDEX orders_renews ON orders(renews) WHERE renews IS NOT NULL;
CREATE INDEX orders_due ON orders(retry_at)
	WHERE status IN ('new', 'pending', 'ready', 'processing');

CREATE TABLE authorizations (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders(id)
			ON DELETE CASCADE,
	url		TEXT NOT NULL,
	ident_type	TEXT NOT NULL DEFAULT 'dns'
			CHECK (ident_type IN ('dns', 'ip')),
	identifier	TEXT NOT NULL,
	status		TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
			    ('pending', 'valid', 'invalid', 'deactivated',
			    'expired', 'revoked')),
	expires		INTEGER,
	wildcard	INTEGER NOT NULL DEFAULT 0 CHECK (wildcard IN (0, 1)),
	error		TEXT CHECK (error IS NULL OR json_valid(error)),
	updated		INTEGER NOT NULL,
	UNIQUE (order_id, url)
) STRICT;

-- token is base64url (RFC 8555 8.1); the http-01 responder looks
-- challenges up by it.  Not unique: a CA may hand the same (valid or
-- pending) authorization, with its token, to several orders (7.1.3).
CREATE TABLE challenges (
	id		INTEGER PRIMARY KEY,
	authz_id	INTEGER NOT NULL REFERENCES authorizations(id)
			ON DELETE CASCADE,
	url		TEXT NOT NULL,
	type		TEXT NOT NULL
			CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01')),
	status		TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
			    ('pending', 'processing', 'valid', 'invalid')),
	token		TEXT NOT NULL
			CHECK (length(token) BETWEEN 1 AND 256
			    AND token NOT GLOB '*[^A-Za-z0-9_-]*'),
	key_authorization TEXT,
	dns_name	TEXT,
	dns_value	TEXT,
	error		TEXT CHECK (error IS NULL OR json_valid(error)),
	updated		INTEGER NOT NULL
) STRICT;
CREATE INDEX challenges_authz ON challenges(authz_id);
CREATE INDEX challenges_token ON challenges(token);

CREATE TABLE certificates (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER REFERENCES orders(id) ON DELETE SET NULL,
	owner		INTEGER NOT NULL REFERENCES users(id),
	account_id	INTEGER NOT NULL REFERENCES accounts(id),
	serial		TEXT NOT NULL,
	not_before	INTEGER NOT NULL,
	not_after	INTEGER NOT NULL,
	domains		TEXT NOT NULL CHECK (json_valid(domains)
			    AND json_type(domains) = 'array'),
	chain_pem	TEXT NOT NULL,
	key_enc		BLOB,
	ari_id		TEXT,
	renew_at	INTEGER,
	status		TEXT NOT NULL DEFAULT 'valid'
			CHECK (status IN ('valid', 'revoked', 'replaced')),
	replaced_by	INTEGER REFERENCES certificates(id),
	revoked_reason	INTEGER CHECK (revoked_reason IS NULL
			    OR revoked_reason BETWEEN 0 AND 10),
	revoked_at	INTEGER,
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL
) STRICT;
CREATE INDEX certificates_not_after ON certificates(not_after);
CREATE INDEX certificates_owner ON certificates(owner, not_after);
CREATE INDEX certificates_order ON certificates(order_id);
CREATE INDEX certificates_serial ON certificates(serial);
CREATE INDEX certificates_renew ON certificates(renew_at)
	WHERE status = 'valid';

CREATE TABLE order_events (
	id		INTEGER PRIMARY KEY,
	order_id	INTEGER NOT NULL REFERENCES orders(id)
			ON DELETE CASCADE,
	at		INTEGER NOT NULL,
	what		TEXT NOT NULL,
	detail		TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX order_events_order ON order_events(order_id, id);

PRAGMA user_version = 2;
