-- 0013: the counts of 0010 also per block of 32 days (not_after / 86400
-- / 32; owner 0: everyone's), kept by triggers, so that the dashboard's
-- "valid certificates" (not expired yet) adds up the rest of the current
-- block by days and the blocks after it, instead of every day from today
-- to the last expiry: some 35 rows instead of some 90 for certificates
-- that live 90 days, and far fewer than 365 for those that live a year.
CREATE TABLE cert_expiry_blocks (
	owner		INTEGER NOT NULL,	-- users.id, or 0: everyone
	block		INTEGER NOT NULL,	-- not_after / 86400 / 32
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (owner, block)
) STRICT, WITHOUT ROWID;

INSERT INTO cert_expiry_blocks (owner, block, n)
	SELECT owner, not_after / 86400 / 32, count(*) FROM certificates
	    WHERE status = 'valid' GROUP BY 1, 2
	UNION ALL SELECT 0, not_after / 86400 / 32, count(*) FROM certificates
	    WHERE status = 'valid' GROUP BY 2;

CREATE TRIGGER cert_expiry_blocks_ins AFTER INSERT ON certificates
WHEN NEW.status = 'valid'
BEGIN
	INSERT INTO cert_expiry_blocks (owner, block, n) VALUES
	    (NEW.owner, NEW.not_after / 86400 / 32, 1),
	    (0, NEW.not_after / 86400 / 32, 1)
	    ON CONFLICT (owner, block) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER cert_expiry_blocks_del AFTER DELETE ON certificates
WHEN OLD.status = 'valid'
BEGIN
	UPDATE cert_expiry_blocks SET n = n - 1
	    WHERE block = OLD.not_after / 86400 / 32
	    AND owner IN (OLD.owner, 0);
END;
CREATE TRIGGER cert_expiry_blocks_upd AFTER UPDATE OF status, owner,
    not_after ON certificates
WHEN OLD.status = 'valid' OR NEW.status = 'valid'
BEGIN
	UPDATE cert_expiry_blocks SET n = n - 1 WHERE OLD.status = 'valid'
	    AND block = OLD.not_after / 86400 / 32
	    AND owner IN (OLD.owner, 0);
	INSERT INTO cert_expiry_blocks (owner, block, n)
	    SELECT value, NEW.not_after / 86400 / 32, 1
	    FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status = 'valid'
	    ON CONFLICT (owner, block) DO UPDATE SET n = n + 1;
END;

PRAGMA user_version = 13;
