-- Stock per SKU. `reserved` is what open reservations hold; `available` = quantity - reserved.
-- The checks make negative stock (or more reserved than on hand) impossible whatever the code
-- does: a reservation that would break them fails instead of overselling.
create table inventory_items (
  id uuid primary key,
  sku text not null unique,
  name text not null,
  quantity integer not null check (quantity >= 0),
  reserved integer not null default 0 check (reserved >= 0),
  low_stock_threshold integer not null default 10 check (low_stock_threshold >= 0),
  price numeric(12, 2) not null check (price >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint inventory_items_reserved_within_quantity check (reserved <= quantity)
);

-- One reservation per order (the saga's idempotency key); `items` is [{sku, quantity}].
create table reservations (
  id uuid primary key,
  order_id uuid not null unique,
  status text not null check (status in ('RESERVED', 'RELEASED')),
  items jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index reservations_status_idx on reservations (status, created_at);

-- The cache invalidator derives a second key from `sku`: deletes must carry the old row.
alter table inventory_items replica identity full;
