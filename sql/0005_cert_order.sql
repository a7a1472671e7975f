-- 0005: one certificate per order.  Two holders of an order (a lease that
-- ran out mid-step) can both download its certificate; the second insert
-- must fail instead of leaving two rows (the writer treats it as done).
DROP INDEX certificates_order;
CREATE UNIQUE INDEX certificates_order ON certificates(order_id)
    WHERE order_id IS NOT NULL;
PRAGMA user_version = 5;
