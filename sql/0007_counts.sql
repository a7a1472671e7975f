-- 0007: the dashboard's standing counts, kept by triggers, so that the
-- dashboard reads three rows instead of counting every valid account,
-- active order and valid certificate on each visit.  owner 0 is
-- everyone's (the administrators' view).  The counts that depend on the
-- time ("failed this week", "expiring within 30 days") stay index range
-- counts (0005).
CREATE TABLE dash_counts (
	owner		INTEGER NOT NULL,	-- users.id, or 0: everyone
	what		TEXT NOT NULL CHECK (what IN ('accounts_valid',
			    'orders_active', 'certs_valid')),
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (owner, what)
) STRICT, WITHOUT ROWID;

INSERT INTO dash_counts (owner, what, n)
	SELECT owner, 'accounts_valid', count(*) FROM accounts
	    WHERE status = 'valid' GROUP BY owner
	UNION ALL SELECT 0, 'accounts_valid', count(*) FROM accounts
	    WHERE status = 'valid'
	UNION ALL SELECT owner, 'orders_active', count(*) FROM orders
	    WHERE status IN ('new', 'pending', 'ready', 'processing')
	    GROUP BY owner
	UNION ALL SELECT 0, 'orders_active', count(*) FROM orders
	    WHERE status IN ('new', 'pending', 'ready', 'processing')
	UNION ALL SELECT owner, 'certs_valid', count(*) FROM certificates
	    WHERE status = 'valid' GROUP BY owner
	UNION ALL SELECT 0, 'certs_valid', count(*) FROM certificates
	    WHERE status = 'valid';

-- Each trigger takes the old row out (if it counted) and puts the new
-- row in (if it counts), for its owner and for owner 0.
CREATE TRIGGER accounts_count_ins AFTER INSERT ON accounts
WHEN NEW.status = 'valid'
BEGIN
	INSERT INTO dash_counts (owner, what, n) VALUES
	    (NEW.owner, 'accounts_valid', 1), (0, 'accounts_valid', 1)
	    ON CONFLICT (owner, what) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER accounts_count_del AFTER DELETE ON accounts
WHEN OLD.status = 'valid'
BEGIN
	UPDATE dash_counts SET n = n - 1
	    WHERE what = 'accounts_valid' AND owner IN (OLD.owner, 0);
END;
CREATE TRIGGER accounts_count_upd AFTER UPDATE OF status, owner ON accounts
WHEN (OLD.status = 'valid') <> (NEW.status = 'valid')
    OR (NEW.status = 'valid' AND OLD.owner <> NEW.owner)
BEGIN
	UPDATE dash_counts SET n = n - 1 WHERE OLD.status = 'valid'
	    AND what = 'accounts_valid' AND owner IN (OLD.owner, 0);
	INSERT INTO dash_counts (owner, what, n)
	    SELECT value, 'accounts_valid', 1
	    FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status = 'valid'
	    ON CONFLICT (owner, what) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER orders_count_ins AFTER INSERT ON orders
WHEN NEW.status IN ('new', 'pending', 'ready', 'processing')
BEGIN
	INSERT INTO dash_counts (owner, what, n) VALUES
	    (NEW.owner, 'orders_active', 1), (0, 'orders_active', 1)
	    ON CONFLICT (owner, what) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER orders_count_del AFTER DELETE ON orders
WHEN OLD.status IN ('new', 'pending', 'ready', 'processing')
BEGIN
	UPDATE dash_counts SET n = n - 1
	    WHERE what = 'orders_active' AND owner IN (OLD.owner, 0);
END;
CREATE TRIGGER orders_count_upd AFTER UPDATE OF status, owner ON orders
WHEN (OLD.status IN ('new', 'pending', 'ready', 'processing')) <>
    (NEW.status IN ('new', 'pending', 'ready', 'processing'))
    OR (NEW.status IN ('new', 'pending', 'ready', 'processing')
    AND OLD.owner <> NEW.owner)
BEGIN
	UPDATE dash_counts SET n = n - 1
	    WHERE OLD.status IN ('new', 'pending', 'ready', 'processing')
	    AND what = 'orders_active' AND owner IN (OLD.owner, 0);
	INSERT INTO dash_counts (owner, what, n)
	    SELECT value, 'orders_active', 1
	    FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status IN ('new', 'pending', 'ready', 'processing')
	    ON CONFLICT (owner, what) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER certificates_count_ins AFTER INSERT ON certificates
WHEN NEW.status = 'valid'
BEGIN
	INSERT INTO dash_counts (owner, what, n) VALUES
	    (NEW.owner, 'certs_valid', 1), (0, 'certs_valid', 1)
	    ON CONFLICT (owner, what) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER certificates_count_del AFTER DELETE ON certificates
WHEN OLD.status = 'valid'
BEGIN
	UPDATE dash_counts SET n = n - 1
	    WHERE what = 'certs_valid' AND owner IN (OLD.owner, 0);
END;
CREATE TRIGGER certificates_count_upd AFTER UPDATE OF status, owner
ON certificates
WHEN (OLD.status = 'valid') <> (NEW.status = 'valid')
    OR (NEW.status = 'valid' AND OLD.owner <> NEW.owner)
BEGIN
	UPDATE dash_counts SET n = n - 1 WHERE OLD.status = 'valid'
	    AND what = 'certs_valid' AND owner IN (OLD.owner, 0);
	INSERT INTO dash_counts (owner, what, n)
	    SELECT value, 'certs_valid', 1
	    FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status = 'valid'
	    ON CONFLICT (owner, what) DO UPDATE SET n = n + 1;
END;

PRAGMA user_version = 7;
