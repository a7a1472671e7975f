-- 0015: the dashboard's time-bound counts from one row each, its
-- standing numbers from one row per owner (dash_totals, below), and its
-- lists from indexes alone (at the end).
--
-- 0010, 0012 and 0013 kept counts per day (and per block of 32 days), and
-- the dashboard added up every day of a window: dozens of rows and a
-- dozen index searches a visit.  Here each day's row also holds how many
-- come before that day ("below"), so that "how many expire (or failed)
-- before day D" is the one row at or before D.  The counts are then
-- differences: valid certificates are all of them (dash_totals) less
-- those expired before now, expiring ones those before now + 30 days less
-- those before now, failures this week all of them (dash_totals) less
-- those before a week ago.  Within the day of each bound the store counts
-- rows one by one, when that day has any (store_cert.c
-- store_dashboard_counts_from, store_sql.c ST_DASH_COUNTS*).
--
-- A change adds or takes one from its own day's n and from the "below"
-- of every later day of its owner and of owner 0.  Certificates are
-- added at the far end (they expire after the others) and orders fail
-- today, so that touches few rows; a certificate replaced or revoked
-- touches the days up to the last expiry (some 60 for one of 90 days
-- renewed with 30 left).  A day whose n falls to 0 is deleted: the day
-- before it answers the same.
--
-- Days are value / 86400 (SQLite's integer division, which truncates),
-- as in 0010 and 0012; owner 0 is everyone's.
DROP TRIGGER cert_expiry_days_ins;
DROP TRIGGER cert_expiry_days_del;
DROP TRIGGER cert_expiry_days_upd;
DROP TABLE cert_expiry_days;
DROP TRIGGER cert_expiry_blocks_ins;
DROP TRIGGER cert_expiry_blocks_del;
DROP TRIGGER cert_expiry_blocks_upd;
DROP TABLE cert_expiry_blocks;
DROP TRIGGER order_fail_days_ins;
DROP TRIGGER order_fail_days_del;
DROP TRIGGER order_fail_days_upd;
DROP TABLE order_fail_days;

-- Valid certificates per owner and day of expiry (not_after / 86400).
CREATE TABLE cert_expiry_below (
	owner		INTEGER NOT NULL,	-- users.id, or 0: everyone
	day		INTEGER NOT NULL,	-- not_after / 86400
	n		INTEGER NOT NULL CHECK (n > 0),
	below		INTEGER NOT NULL CHECK (below >= 0), -- earlier days'
	PRIMARY KEY (owner, day)
) STRICT, WITHOUT ROWID;

INSERT INTO cert_expiry_below (owner, day, n, below)
	SELECT owner, day, n, coalesce(sum(n) OVER (PARTITION BY owner
	    ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
	    0)
	FROM (SELECT owner, not_after / 86400 AS day, count(*) AS n
	    FROM certificates WHERE status = 'valid' GROUP BY 1, 2
	    UNION ALL SELECT 0, not_after / 86400, count(*) FROM certificates
	    WHERE status = 'valid' GROUP BY 2);

-- In: the later days' below, then the day itself (a new day starts
-- from the day before it).
CREATE TRIGGER cert_expiry_below_ins AFTER INSERT ON certificates
WHEN NEW.status = 'valid'
BEGIN
	UPDATE cert_expiry_below SET below = below + 1
	    WHERE owner IN (NEW.owner, 0) AND day > NEW.not_after / 86400;
	INSERT INTO cert_expiry_below (owner, day, n, below)
	    SELECT o.value, NEW.not_after / 86400, 1, coalesce((SELECT
	    p.below + p.n FROM cert_expiry_below p WHERE p.owner = o.value
	    AND p.day < NEW.not_after / 86400 ORDER BY p.day DESC LIMIT 1),
	    0) FROM json_each(json_array(NEW.owner, 0)) o WHERE 1
	    ON CONFLICT (owner, day) DO UPDATE SET n = n + 1;
END;
-- Out: the later days' below, then the day (gone when it is empty).
CREATE TRIGGER cert_expiry_below_del AFTER DELETE ON certificates
WHEN OLD.status = 'valid'
BEGIN
	UPDATE cert_expiry_below SET below = below - 1
	    WHERE owner IN (OLD.owner, 0) AND day > OLD.not_after / 86400;
	DELETE FROM cert_expiry_below WHERE owner IN (OLD.owner, 0)
	    AND day = OLD.not_after / 86400 AND n = 1;
	UPDATE cert_expiry_below SET n = n - 1
	    WHERE owner IN (OLD.owner, 0) AND day = OLD.not_after / 86400;
END;
-- Out as the old row (if it counted), in as the new one (if it counts);
-- nothing when it stays on the same owner's same day.
CREATE TRIGGER cert_expiry_below_upd AFTER UPDATE OF status, owner,
    not_after ON certificates
WHEN (OLD.status = 'valid') <> (NEW.status = 'valid')
    OR (NEW.status = 'valid' AND (OLD.owner <> NEW.owner
    OR OLD.not_after / 86400 <> NEW.not_after / 86400))
BEGIN
	UPDATE cert_expiry_below SET below = below - 1
	    WHERE OLD.status = 'valid' AND owner IN (OLD.owner, 0)
	    AND day > OLD.not_after / 86400;
	DELETE FROM cert_expiry_below WHERE OLD.status = 'valid'
	    AND owner IN (OLD.owner, 0) AND day = OLD.not_after / 86400
	    AND n = 1;
	UPDATE cert_expiry_below SET n = n - 1 WHERE OLD.status = 'valid'
	    AND owner IN (OLD.owner, 0) AND day = OLD.not_after / 86400;
	UPDATE cert_expiry_below SET below = below + 1
	    WHERE NEW.status = 'valid' AND owner IN (NEW.owner, 0)
	    AND day > NEW.not_after / 86400;
	INSERT INTO cert_expiry_below (owner, day, n, below)
	    SELECT o.value, NEW.not_after / 86400, 1, coalesce((SELECT
	    p.below + p.n FROM cert_expiry_below p WHERE p.owner = o.value
	    AND p.day < NEW.not_after / 86400 ORDER BY p.day DESC LIMIT 1),
	    0) FROM json_each(json_array(NEW.owner, 0)) o
	    WHERE NEW.status = 'valid'
	    ON CONFLICT (owner, day) DO UPDATE SET n = n + 1;
END;

-- Failed (invalid) orders per owner and day of their last update
-- (updated / 86400), kept the same way.
CREATE TABLE order_fail_below (
	owner		INTEGER NOT NULL,	-- users.id, or 0: everyone
	day		INTEGER NOT NULL,	-- updated / 86400
	n		INTEGER NOT NULL CHECK (n > 0),
	below		INTEGER NOT NULL CHECK (below >= 0), -- earlier days'
	PRIMARY KEY (owner, day)
) STRICT, WITHOUT ROWID;

INSERT INTO order_fail_below (owner, day, n, below)
	SELECT owner, day, n, coalesce(sum(n) OVER (PARTITION BY owner
	    ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
	    0)
	FROM (SELECT owner, updated / 86400 AS day, count(*) AS n
	    FROM orders WHERE status = 'invalid' GROUP BY 1, 2
	    UNION ALL SELECT 0, updated / 86400, count(*) FROM orders
	    WHERE status = 'invalid' GROUP BY 2);

CREATE TRIGGER order_fail_below_ins AFTER INSERT ON orders
WHEN NEW.status = 'invalid'
BEGIN
	UPDATE order_fail_below SET below = below + 1
	    WHERE owner IN (NEW.owner, 0) AND day > NEW.updated / 86400;
	INSERT INTO order_fail_below (owner, day, n, below)
	    SELECT o.value, NEW.updated / 86400, 1, coalesce((SELECT
	    p.below + p.n FROM order_fail_below p WHERE p.owner = o.value
	    AND p.day < NEW.updated / 86400 ORDER BY p.day DESC LIMIT 1),
	    0) FROM json_each(json_array(NEW.owner, 0)) o WHERE 1
	    ON CONFLICT (owner, day) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER order_fail_below_del AFTER DELETE ON orders
WHEN OLD.status = 'invalid'
BEGIN
	UPDATE order_fail_below SET below = below - 1
	    WHERE owner IN (OLD.owner, 0) AND day > OLD.updated / 86400;
	DELETE FROM order_fail_below WHERE owner IN (OLD.owner, 0)
	    AND day = OLD.updated / 86400 AND n = 1;
	UPDATE order_fail_below SET n = n - 1
	    WHERE owner IN (OLD.owner, 0) AND day = OLD.updated / 86400;
END;
CREATE TRIGGER order_fail_below_upd AFTER UPDATE OF status, owner, updated
    ON orders
WHEN (OLD.status = 'invalid') <> (NEW.status = 'invalid')
    OR (NEW.status = 'invalid' AND (OLD.owner <> NEW.owner
    OR OLD.updated / 86400 <> NEW.updated / 86400))
BEGIN
	UPDATE order_fail_below SET below = below - 1
	    WHERE OLD.status = 'invalid' AND owner IN (OLD.owner, 0)
	    AND day > OLD.updated / 86400;
	DELETE FROM order_fail_below WHERE OLD.status = 'invalid'
	    AND owner IN (OLD.owner, 0) AND day = OLD.updated / 86400
	    AND n = 1;
	UPDATE order_fail_below SET n = n - 1 WHERE OLD.status = 'invalid'
	    AND owner IN (OLD.owner, 0) AND day = OLD.updated / 86400;
	UPDATE order_fail_below SET below = below + 1
	    WHERE NEW.status = 'invalid' AND owner IN (NEW.owner, 0)
	    AND day > NEW.updated / 86400;
	INSERT INTO order_fail_below (owner, day, n, below)
	    SELECT o.value, NEW.updated / 86400, 1, coalesce((SELECT
	    p.below + p.n FROM order_fail_below p WHERE p.owner = o.value
	    AND p.day < NEW.updated / 86400 ORDER BY p.day DESC LIMIT 1),
	    0) FROM json_each(json_array(NEW.owner, 0)) o
	    WHERE NEW.status = 'invalid'
	    ON CONFLICT (owner, day) DO UPDATE SET n = n + 1;
END;

-- The four standing numbers of the dashboard in one row per owner (owner
-- 0: everyone's), read with one search instead of four: 0007's
-- dash_counts (a row per number) gives way to it, and the failed orders
-- and valid certificates it also holds are the totals the differences
-- above start from.  The triggers are 0007's, one set per number.
DROP TRIGGER accounts_count_ins;
DROP TRIGGER accounts_count_del;
DROP TRIGGER accounts_count_upd;
DROP TRIGGER orders_count_ins;
DROP TRIGGER orders_count_del;
DROP TRIGGER orders_count_upd;
DROP TRIGGER certificates_count_ins;
DROP TRIGGER certificates_count_del;
DROP TRIGGER certificates_count_upd;
DROP TABLE dash_counts;

CREATE TABLE dash_totals (
	owner		INTEGER NOT NULL PRIMARY KEY,	-- users.id, or 0
	accounts_valid	INTEGER NOT NULL DEFAULT 0
			CHECK (accounts_valid >= 0),
	orders_active	INTEGER NOT NULL DEFAULT 0
			CHECK (orders_active >= 0),	-- new ... processing
	orders_failed	INTEGER NOT NULL DEFAULT 0
			CHECK (orders_failed >= 0),	-- invalid
	certs_valid	INTEGER NOT NULL DEFAULT 0
			CHECK (certs_valid >= 0)
) STRICT, WITHOUT ROWID;

WITH per (owner, a, o, f, c) AS (
	SELECT owner, sum(a), sum(o), sum(f), sum(c) FROM (
	    SELECT owner, 1 AS a, 0 AS o, 0 AS f, 0 AS c FROM accounts
	    WHERE status = 'valid'
	    UNION ALL SELECT owner, 0, status <> 'invalid',
	    status = 'invalid', 0 FROM orders WHERE status IN ('new',
	    'pending', 'ready', 'processing', 'invalid')
	    UNION ALL SELECT owner, 0, 0, 0, 1 FROM certificates
	    WHERE status = 'valid')
	GROUP BY owner)
INSERT INTO dash_totals (owner, accounts_valid, orders_active,
    orders_failed, certs_valid)
	SELECT owner, a, o, f, c FROM per
	UNION ALL SELECT 0, coalesce(sum(a), 0), coalesce(sum(o), 0),
	    coalesce(sum(f), 0), coalesce(sum(c), 0) FROM per;

CREATE TRIGGER dash_accounts_ins AFTER INSERT ON accounts
WHEN NEW.status = 'valid'
BEGIN
	INSERT INTO dash_totals (owner, accounts_valid) VALUES
	    (NEW.owner, 1), (0, 1)
	    ON CONFLICT (owner) DO UPDATE SET
	    accounts_valid = accounts_valid + 1;
END;
CREATE TRIGGER dash_accounts_del AFTER DELETE ON accounts
WHEN OLD.status = 'valid'
BEGIN
	UPDATE dash_totals SET accounts_valid = accounts_valid - 1
	    WHERE owner IN (OLD.owner, 0);
END;
CREATE TRIGGER dash_accounts_upd AFTER UPDATE OF status, owner ON accounts
WHEN (OLD.status = 'valid') <> (NEW.status = 'valid')
    OR (NEW.status = 'valid' AND OLD.owner <> NEW.owner)
BEGIN
	UPDATE dash_totals SET accounts_valid = accounts_valid - 1
	    WHERE OLD.status = 'valid' AND owner IN (OLD.owner, 0);
	INSERT INTO dash_totals (owner, accounts_valid)
	    SELECT value, 1 FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status = 'valid'
	    ON CONFLICT (owner) DO UPDATE SET
	    accounts_valid = accounts_valid + 1;
END;

CREATE TRIGGER dash_orders_active_ins AFTER INSERT ON orders
WHEN NEW.status IN ('new', 'pending', 'ready', 'processing')
BEGIN
	INSERT INTO dash_totals (owner, orders_active) VALUES
	    (NEW.owner, 1), (0, 1)
	    ON CONFLICT (owner) DO UPDATE SET
	    orders_active = orders_active + 1;
END;
CREATE TRIGGER dash_orders_active_del AFTER DELETE ON orders
WHEN OLD.status IN ('new', 'pending', 'ready', 'processing')
BEGIN
	UPDATE dash_totals SET orders_active = orders_active - 1
	    WHERE owner IN (OLD.owner, 0);
END;
CREATE TRIGGER dash_orders_active_upd AFTER UPDATE OF status, owner
    ON orders
WHEN (OLD.status IN ('new', 'pending', 'ready', 'processing')) <>
    (NEW.status IN ('new', 'pending', 'ready', 'processing'))
    OR (NEW.status IN ('new', 'pending', 'ready', 'processing')
    AND OLD.owner <> NEW.owner)
BEGIN
	UPDATE dash_totals SET orders_active = orders_active - 1
	    WHERE OLD.status IN ('new', 'pending', 'ready', 'processing')
	    AND owner IN (OLD.owner, 0);
	INSERT INTO dash_totals (owner, orders_active)
	    SELECT value, 1 FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status IN ('new', 'pending', 'ready', 'processing')
	    ON CONFLICT (owner) DO UPDATE SET
	    orders_active = orders_active + 1;
END;

CREATE TRIGGER dash_orders_failed_ins AFTER INSERT ON orders
WHEN NEW.status = 'invalid'
BEGIN
	INSERT INTO dash_totals (owner, orders_failed) VALUES
	    (NEW.owner, 1), (0, 1)
	    ON CONFLICT (owner) DO UPDATE SET
	    orders_failed = orders_failed + 1;
END;
CREATE TRIGGER dash_orders_failed_del AFTER DELETE ON orders
WHEN OLD.status = 'invalid'
BEGIN
	UPDATE dash_totals SET orders_failed = orders_failed - 1
	    WHERE owner IN (OLD.owner, 0);
END;
CREATE TRIGGER dash_orders_failed_upd AFTER UPDATE OF status, owner
    ON orders
WHEN (OLD.status = 'invalid') <> (NEW.status = 'invalid')
    OR (NEW.status = 'invalid' AND OLD.owner <> NEW.owner)
BEGIN
	UPDATE dash_totals SET orders_failed = orders_failed - 1
	    WHERE OLD.status = 'invalid' AND owner IN (OLD.owner, 0);
	INSERT INTO dash_totals (owner, orders_failed)
	    SELECT value, 1 FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status = 'invalid'
	    ON CONFLICT (owner) DO UPDATE SET
	    orders_failed = orders_failed + 1;
END;

CREATE TRIGGER dash_certs_ins AFTER INSERT ON certificates
WHEN NEW.status = 'valid'
BEGIN
	INSERT INTO dash_totals (owner, certs_valid) VALUES
	    (NEW.owner, 1), (0, 1)
	    ON CONFLICT (owner) DO UPDATE SET certs_valid = certs_valid + 1;
END;
CREATE TRIGGER dash_certs_del AFTER DELETE ON certificates
WHEN OLD.status = 'valid'
BEGIN
	UPDATE dash_totals SET certs_valid = certs_valid - 1
	    WHERE owner IN (OLD.owner, 0);
END;
CREATE TRIGGER dash_certs_upd AFTER UPDATE OF status, owner
    ON certificates
WHEN (OLD.status = 'valid') <> (NEW.status = 'valid')
    OR (NEW.status = 'valid' AND OLD.owner <> NEW.owner)
BEGIN
	UPDATE dash_totals SET certs_valid = certs_valid - 1
	    WHERE OLD.status = 'valid' AND owner IN (OLD.owner, 0);
	INSERT INTO dash_totals (owner, certs_valid)
	    SELECT value, 1 FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status = 'valid'
	    ON CONFLICT (owner) DO UPDATE SET certs_valid = certs_valid + 1;
END;

-- The dashboard's lists read from an index alone.  "Expiring soonest"
-- (store_sql.c ST_CERT_EXPIRING*_BRIEF) looked up each certificate's row,
-- which holds its PEM chain, for four short columns; these hold them,
-- for the valid certificates only.  id is spelt out so that the index
-- order is the list's (not_after, id).  status stays a column: SQLite
-- reads a partial index's WHERE columns from the rows, not from the
-- WHERE.
CREATE INDEX certificates_valid_expiry ON certificates(status, not_after,
	id, order_id, serial, domains) WHERE status = 'valid';
CREATE INDEX certificates_owner_valid_expiry ON certificates(owner,
	status, not_after, id, order_id, serial, domains)
	WHERE status = 'valid';
-- "Recent failures" (ST_ORD_FAILURES*): 0008's indexes of the failed
-- orders, with what the HTML list shows (ORD_BCOLS, error) and then what
-- the API's adds (the rest of ORD_PCOLS but the certificate, a search of
-- its own).  The columns after updated only change with it.
DROP INDEX orders_failures;
DROP INDEX orders_owner_failures;
CREATE INDEX orders_failures ON orders(updated, id, status, domains,
	challenge_type, auto, created, error, owner, account_id, key_type,
	auto_renew, expires, renews, retry_at, tries)
	WHERE status = 'invalid' OR error IS NOT NULL;
CREATE INDEX orders_owner_failures ON orders(owner, updated, id, status,
	domains, challenge_type, auto, created, error, account_id, key_type,
	auto_renew, expires, renews, retry_at, tries)
	WHERE status = 'invalid' OR error IS NOT NULL;

PRAGMA user_version = 15;
