-- 0014: an owner's order lists read their index alone.  The HTML lists
-- (the orders page and the dashboard's recent orders, store_order_list
-- with brief rows) show an order's id, status, names, challenge type,
-- auto flag and times; with those in the owner's index, a page of 50
-- orders is one range of the index instead of a seek into the table
-- for each order (some 100 k instructions a page of 50 on the bench
-- database).  It replaces orders_owner (owner, id), which is its first
-- two columns, so the owner's other lists and the foreign key keep an
-- index.  The index is some 90 bytes an order instead of some 15.
CREATE INDEX orders_owner_brief ON orders(owner, id, status,
    challenge_type, auto, created, updated, domains);
DROP INDEX orders_owner;

PRAGMA user_version = 14;
