-- 0003: what acme-sweep keeps: billing intents (one per certificate and
-- renewal cycle, so a retried renewal never charges twice), alerts sent
-- (once per condition) and the runs themselves.

-- cycle: the not_after of the certificate being renewed.  idem_key is
-- handed to the billing hook and stays the same across retries.
CREATE TABLE billing_intents (
	id		INTEGER PRIMARY KEY,
	certificate_id	INTEGER NOT NULL REFERENCES certificates(id),
	cycle		INTEGER NOT NULL,
	idem_key	TEXT NOT NULL UNIQUE,
	state		TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
			    ('pending', 'approved', 'declined', 'error')),
	detail		TEXT NOT NULL DEFAULT '',
	order_id	INTEGER REFERENCES orders(id),
	tries		INTEGER NOT NULL DEFAULT 0,
	created		INTEGER NOT NULL,
	updated		INTEGER NOT NULL,
	UNIQUE (certificate_id, cycle)
) STRICT;

-- kind: 'expiry', 'renew-failed', 'billing-declined', ...;
-- object: 'certificate:17'; cond: the instance, e.g. '7d'.
CREATE TABLE alerts (
	id		INTEGER PRIMARY KEY,
	kind		TEXT NOT NULL,
	object		TEXT NOT NULL,
	cond		TEXT NOT NULL DEFAULT '',
	detail		TEXT NOT NULL DEFAULT '',
	sent_at		INTEGER NOT NULL,
	UNIQUE (kind, object, cond)
) STRICT;
CREATE INDEX alerts_sent ON alerts(sent_at);

CREATE TABLE sweep_runs (
	id		INTEGER PRIMARY KEY,
	started		INTEGER NOT NULL,
	finished	INTEGER,
	host		TEXT NOT NULL DEFAULT '',
	pid		INTEGER NOT NULL DEFAULT 0,
	ok		INTEGER CHECK (ok IS NULL OR ok IN (0, 1)),
	summary		TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sweep_runs_started ON sweep_runs(started);

PRAGMA user_version = 3;
