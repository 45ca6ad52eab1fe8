-- Idempotency-Key of POST /api/orders: written in the order's transaction, so a key names
-- exactly one committed order. request_hash tells a retry (same body) from a misuse (another).
create table idempotency_keys (
  key text primary key,
  request_hash text not null,
  order_id uuid not null references orders (id) on delete cascade,
  created_at timestamptz not null default now()
);
