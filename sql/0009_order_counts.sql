-- 0009: the order list's "N order(s)" from counts kept by triggers, per
-- owner and status (owner 0: everyone's), instead of counting every
-- order of the page's owner and status on each visit.
CREATE TABLE order_counts (
	owner		INTEGER NOT NULL,	-- users.id, or 0: everyone
	status		TEXT NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (owner, status)
) STRICT, WITHOUT ROWID;

INSERT INTO order_counts (owner, status, n)
	SELECT owner, status, count(*) FROM orders GROUP BY owner, status
	UNION ALL SELECT 0, status, count(*) FROM orders GROUP BY status;

CREATE TRIGGER order_counts_ins AFTER INSERT ON orders
BEGIN
	INSERT INTO order_counts (owner, status, n) VALUES
	    (NEW.owner, NEW.status, 1), (0, NEW.status, 1)
	    ON CONFLICT (owner, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER order_counts_del AFTER DELETE ON orders
BEGIN
	UPDATE order_counts SET n = n - 1
	    WHERE status = OLD.status AND owner IN (OLD.owner, 0);
END;
CREATE TRIGGER order_counts_upd AFTER UPDATE OF status, owner ON orders
WHEN OLD.status <> NEW.status OR OLD.owner <> NEW.owner
BEGIN
	UPDATE order_counts SET n = n - 1
	    WHERE status = OLD.status AND owner IN (OLD.owner, 0);
	INSERT INTO order_counts (owner, status, n) VALUES
	    (NEW.owner, NEW.status, 1), (0, NEW.status, 1)
	    ON CONFLICT (owner, status) DO UPDATE SET n = n + 1;
END;

PRAGMA user_version = 9;
