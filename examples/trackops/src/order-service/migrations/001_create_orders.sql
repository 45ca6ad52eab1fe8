-- Orders and their items. Amounts are numeric (exact); ids are UUIDv7 chosen by the service.
create table orders (
  id uuid primary key,
  customer_id text not null,
  status text not null
    check (status in ('PENDING', 'CONFIRMED', 'CANCELLED', 'SHIPPED', 'DELIVERED')),
  total_amount numeric(14, 2) not null check (total_amount >= 0),
  shipping_address text,
  cancellation_reason text,
  -- The order saga that places it, and (once confirmed then cancelled) the saga that undoes it.
  saga_id uuid not null,
  cancel_saga_id uuid,
  reservation_id uuid,
  payment_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orders_created_idx on orders (created_at desc, id desc);
create index orders_customer_idx on orders (customer_id, created_at desc);
create index orders_status_idx on orders (status, created_at desc);

create table order_items (
  order_id uuid not null references orders (id) on delete cascade,
  line integer not null,
  sku text not null,
  quantity integer not null check (quantity between 1 and 1000),
  unit_price numeric(12, 2) not null check (unit_price >= 0),
  primary key (order_id, line)
);

-- Full old images in the change stream: the cache invalidator derives list-page tags from
-- non-key columns (customer_id), which a delete under REPLICA IDENTITY DEFAULT would not carry.
alter table orders replica identity full;
