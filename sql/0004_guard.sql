-- 0004: what the local guard in front of the CA's rate limits asks
-- (store_guard.c) before an order is placed.
--
-- Certificates per exact set of names: names_key is the certificate's
-- names in a canonical form, lower-cased, without duplicates, sorted, as
-- a JSON array ('["a.example","b.example"]'), so that two certificates
-- for the same names in another order compare equal.  store_cert_add
-- fills it with the same expression as below (NAMES_KEY in
-- store_sql.c); the rows already there are filled here.  LIMIT -1 keeps
-- the subquery's ORDER BY, which json_group_array then follows.
ALTER TABLE certificates ADD COLUMN names_key TEXT;
UPDATE certificates SET names_key = (SELECT json_group_array(v) FROM
    (SELECT DISTINCT lower(value) AS v FROM json_each(certificates.domains)
    ORDER BY v LIMIT -1));
CREATE INDEX certificates_names ON certificates(names_key, created);

-- Failed validations per account and name in a window: only the invalid
-- authorizations are indexed.
CREATE INDEX authorizations_failed ON authorizations(identifier, updated)
	WHERE status = 'invalid';

PRAGMA user_version = 4;
