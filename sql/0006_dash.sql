-- 0006: indexes for the dashboard's counts and lists, so that each is
-- answered from an index alone instead of reading certificate rows
-- (each holds its PEM chain) or every invalid order (store_sql.c
-- ST_DASH_COUNTS*, ST_CERT_EXPIRING*).  Not partial: SQLite counts from
-- a partial index only by reading the rows to check status again.
--
-- Valid (or any status's) certificates by expiry, everyone's and one
-- owner's: the valid and expiring counts and "expiring soonest"
-- (status = 'valid' ORDER BY not_after, id: the index order).
CREATE INDEX certificates_status_expiry ON certificates(status, not_after);
CREATE INDEX certificates_owner_status ON certificates(owner, status,
	not_after);
-- Orders that failed since a time ("failed this week").
CREATE INDEX orders_status_updated ON orders(status, updated);
-- Active CA accounts, everyone's and one owner's.
CREATE INDEX accounts_status ON accounts(status, owner);

PRAGMA user_version = 6;
