-- 0010: valid certificates counted per owner and day of expiry (UTC day
-- number, not_after / 86400; owner 0: everyone's), kept by triggers.
-- The dashboard's "expiring within 30 days" then adds up the whole days
-- inside the window from here and counts certificates one by one only
-- on its first and last day (store_sql.c ST_DASH_COUNTS*), instead of
-- stepping through every certificate that expires within the window.
CREATE TABLE cert_expiry_days (
	owner		INTEGER NOT NULL,	-- users.id, or 0: everyone
	day		INTEGER NOT NULL,	-- not_after / 86400
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (owner, day)
) STRICT, WITHOUT ROWID;

INSERT INTO cert_expiry_days (owner, day, n)
	SELECT owner, not_after / 86400, count(*) FROM certificates
	    WHERE status = 'valid' GROUP BY 1, 2
	UNION ALL SELECT 0, not_after / 86400, count(*) FROM certificates
	    WHERE status = 'valid' GROUP BY 2;

-- As in 0007: the old row out (if it counted), the new row in (if it
-- counts), for its owner and for owner 0.
CREATE TRIGGER cert_expiry_days_ins AFTER INSERT ON certificates
WHEN NEW.status = 'valid'
BEGIN
	INSERT INTO cert_expiry_days (owner, day, n) VALUES
	    (NEW.owner, NEW.not_after / 86400, 1),
	    (0, NEW.not_after / 86400, 1)
	    ON CONFLICT (owner, day) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER cert_expiry_days_del AFTER DELETE ON certificates
WHEN OLD.status = 'valid'
BEGIN
	UPDATE cert_expiry_days SET n = n - 1
	    WHERE day = OLD.not_after / 86400 AND owner IN (OLD.owner, 0);
END;
CREATE TRIGGER cert_expiry_days_upd AFTER UPDATE OF status, owner,
    not_after ON certificates
WHEN OLD.status = 'valid' OR NEW.status = 'valid'
BEGIN
	UPDATE cert_expiry_days SET n = n - 1 WHERE OLD.status = 'valid'
	    AND day = OLD.not_after / 86400 AND owner IN (OLD.owner, 0);
	INSERT INTO cert_expiry_days (owner, day, n)
	    SELECT value, NEW.not_after / 86400, 1
	    FROM json_each(json_array(NEW.owner, 0))
	    WHERE NEW.status = 'valid'
	    ON CONFLICT (owner, day) DO UPDATE SET n = n + 1;
END;

PRAGMA user_version = 10;
