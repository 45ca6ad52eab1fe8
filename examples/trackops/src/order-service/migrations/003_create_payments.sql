-- The in-process payment participant's ledger, in a schema of its own (its saga outbox and
-- inbox live there too, created by migrateParticipant).
create schema if not exists payment;
create table payment.payments (
  id uuid primary key,
  order_id uuid not null,
  customer_id text not null,
  amount numeric(14, 2) not null,
  status text not null check (status in ('CAPTURED', 'REFUNDED')),
  created_at timestamptz not null default now(),
  refunded_at timestamptz
);
create unique index payments_order_idx on payment.payments (order_id);
