-- 0011: certificates counted per owner (owner 0: everyone's), kept by
-- triggers, for the certificates list's "N certificate(s)" (store_sql.c
-- ST_CERT_COUNT), which counted every certificate of the page's owner
-- on each visit.
CREATE TABLE cert_counts (
	owner		INTEGER NOT NULL PRIMARY KEY,	-- users.id, or 0
	n		INTEGER NOT NULL CHECK (n >= 0)
) STRICT, WITHOUT ROWID;

INSERT INTO cert_counts (owner, n)
	SELECT owner, count(*) FROM certificates GROUP BY owner
	UNION ALL SELECT 0, count(*) FROM certificates;

CREATE TRIGGER cert_counts_ins AFTER INSERT ON certificates
BEGIN
	INSERT INTO cert_counts (owner, n) VALUES (NEW.owner, 1), (0, 1)
	    ON CONFLICT (owner) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER cert_counts_del AFTER DELETE ON certificates
BEGIN
	UPDATE cert_counts SET n = n - 1 WHERE owner IN (OLD.owner, 0);
END;
CREATE TRIGGER cert_counts_upd AFTER UPDATE OF owner ON certificates
WHEN OLD.owner <> NEW.owner
BEGIN
	UPDATE cert_counts SET n = n - 1 WHERE owner = OLD.owner;
	INSERT INTO cert_counts (owner, n) VALUES (NEW.owner, 1)
	    ON CONFLICT (owner) DO UPDATE SET n = n + 1;
END;

PRAGMA user_version = 11;
