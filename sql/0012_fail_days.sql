-- 0012: failed (invalid) orders counted per owner and day of their last
-- update (UTC day number, updated / 86400; owner 0: everyone's), kept by
-- triggers.  The dashboard's "orders failed this week" then adds up the
-- whole days from here and counts orders one by one only on the first
-- day of the window (store_sql.c ST_DASH_COUNTS*), as 0010 does for
-- expiring certificates.
CREATE TABLE order_fail_days (
	owner		INTEGER NOT NULL,	-- users.id, or 0: everyone
	day		INTEGER NOT NULL,	-- updated / 86400
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (owner, day)
) STRICT, WITHOUT ROWID;

INSERT INTO order_fail_days (owner, day, n)
	SELECT owner, updated / 86400, count(*) FROM orders
	    WHERE status = 'invalid' GROUP BY 1, 2
	UNION ALL SELECT 0, updated / 86400, count(*) FROM orders
	    WHERE status = 'invalid' GROUP BY 2;

CREATE TRIGGER order_fail_days_ins AFTER INSERT ON orders
WHEN NEW.status = 'invalid'
BEGIN
	INSERT INTO order_fail_days (owner, day, n) VALUES
	    (NEW.owner, NEW.updated / 86400, 1),
	    (0, NEW.updated / 86400, 1)
	    ON CONFLICT (owner, day) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER order_fail_days_del AFTER DELETE ON orders
WHEN OLD.status = 'invalid'
BEGIN
	UPDATE order_fail_days SET n = n - 1
	    WHERE day = OLD.updated / 86400 AND owner IN (OLD.owner, 0);
END;
CREATE TRIGGER order_fail_days_upd AFTER UPDATE OF status, owner, updated
    ON orders
WHEN OLD.status = 'invalid' OR NEW.status = 'invalid'
BEGIN
	UPDATE order_fail_days SET n = n - 1 WHERE OLD.status = 'invalid'
	    AND day = OLD.updated / 86400 AND owner IN (OLD.owner, 0);
	INSERT INTO order_fail_days (owner, day, n)
	    SELECT value, NEW.updated / 86400, 1
	    FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status = 'invalid'
	    ON CONFLICT (owner, day) DO UPDATE SET n = n + 1;
END;

PRAGMA user_version = 12;
