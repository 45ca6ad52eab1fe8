-- The last status the CDC transformation saw per order, with the change's LSN: the `from` of
-- order.status.updated when Debezium sends no old image (REPLICA IDENTITY DEFAULT), and the
-- guard that keeps a redelivered older change from emitting anything.
create table order_status_projection (
  order_id uuid primary key,
  status text not null,
  lsn numeric(20, 0) not null,
  updated_at timestamptz not null default now()
);
