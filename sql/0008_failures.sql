-- 0008: the dashboard's "recent failures" read from an index of the
-- failed orders alone.  Walking orders_updated from the newest and
-- skipping every order that did not fail visits as many rows as there
-- are successes between the failures; these partial indexes hold only
-- the failed ones (their WHERE is the failures query's, word for word).
CREATE INDEX orders_failures ON orders(updated, id)
	WHERE status = 'invalid' OR error IS NOT NULL;
CREATE INDEX orders_owner_failures ON orders(owner, updated, id)
	WHERE status = 'invalid' OR error IS NOT NULL;

PRAGMA user_version = 8;
