/**
 * Type-level tests: the decoded union narrows by kind and op, and typed tables type
 * before/after/row and keys. Checked by `pnpm typecheck`.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  column,
  createDecoder,
  tableHandler,
  defineTable,
  type ChangeEvent,
  type DecodedRecord,
  type Timestamp,
  type Unavailable,
  type UntypedRow,
} from '@trackops/cdc';

const decoder = createDecoder();
const record = { topic: 't', key: null, value: null };

const orders = defineTable({
  table: 'orders',
  key: ['id'],
  columns: {
    id: column.int64(),
    total: column.decimal({ scale: 2 }),
    placed_at: column.microTimestamp(),
    status: column.enumOf(['NEW', 'PAID']),
    notes: column.toastable(column.string()).nullable(),
    tags: column.array(column.string()),
  },
});

describe('decoded records', () => {
  it('narrow by kind, then by op', () => {
    const event = decoder.decode(record);
    expectTypeOf(event).toEqualTypeOf<DecodedRecord>();
    if (event.kind === 'change') {
      expectTypeOf(event).toEqualTypeOf<ChangeEvent>();
      if (event.op === 'c') {
        expectTypeOf(event.after).toEqualTypeOf<UntypedRow>();
        expectTypeOf(event.before).toEqualTypeOf<null>();
        expectTypeOf(event.oldKey).toEqualTypeOf<UntypedRow | undefined>();
      }
      if (event.op === 'u') expectTypeOf(event.before).toEqualTypeOf<UntypedRow | null>();
      if (event.op === 'd') {
        expectTypeOf(event.after).toEqualTypeOf<null>();
        expectTypeOf(event.newKey).toEqualTypeOf<UntypedRow | undefined>();
      }
      if (event.op === 't') expectTypeOf(event.after).toEqualTypeOf<null>();
      expectTypeOf(event.source.tsNs).toEqualTypeOf<bigint | undefined>();
    }
    if (event.kind === 'message') expectTypeOf(event.content).toEqualTypeOf<Uint8Array>();
    if (event.kind === 'transaction' && event.status === 'END') {
      expectTypeOf(event.eventCount).toEqualTypeOf<number>();
    }
    if (event.kind === 'unwrapped' && !event.deleted) {
      expectTypeOf(event.row).toEqualTypeOf<UntypedRow>();
    }
  });

  it('the op switch is exhaustive', () => {
    const event = decoder.decode(record);
    if (event.kind !== 'change') return;
    switch (event.op) {
      case 'r':
      case 'c':
      case 'u':
      case 'd':
      case 't':
        break;
      default:
        expectTypeOf(event).toBeNever();
    }
  });
});

describe('typed tables', () => {
  it('type rows and keys from the column helpers', () => {
    const event = decoder.decode(record, orders);
    if (event.kind === 'change' && event.op === 'c') {
      expectTypeOf(event.after.id).toEqualTypeOf<bigint>();
      expectTypeOf(event.after.total).toEqualTypeOf<string>();
      expectTypeOf(event.after.placed_at).toEqualTypeOf<Timestamp>();
      expectTypeOf(event.after.status).toEqualTypeOf<'NEW' | 'PAID'>();
      expectTypeOf(event.after.notes).toEqualTypeOf<string | Unavailable | null>();
      expectTypeOf(event.after.tags).toEqualTypeOf<string[]>();
      expectTypeOf(event.key).toEqualTypeOf<{ id: bigint } | null>();
    }
    if (event.kind === 'tombstone') expectTypeOf(event.key).toEqualTypeOf<{ id: bigint } | null>();
  });

  it('keep zod transforms in the row type', () => {
    const table = defineTable({
      table: 't',
      columns: { amount: column.decimal({ scale: 2 }).transform((text) => Number(text)) },
    });
    const event = decoder.decode(record, table);
    if (event.kind === 'change' && event.op === 'r') {
      expectTypeOf(event.after.amount).toEqualTypeOf<number>();
      expectTypeOf(event.key).toEqualTypeOf<{ amount?: number } | null>();
    }
  });

  it('reject key columns that are not declared', () => {
    // @ts-expect-error: 'nope' is not a column
    defineTable({ table: 't', key: ['nope'], columns: { id: column.int32() } });
  });
});

describe('the consumer', () => {
  it('types a table handler by its table', () => {
    tableHandler(orders, (event, context) => {
      expectTypeOf(context.topic).toEqualTypeOf<string>();
      if (event.kind === 'change' && event.op === 'u') {
        expectTypeOf(event.after.total).toEqualTypeOf<string>();
        expectTypeOf(event.after.placed_at).toEqualTypeOf<Timestamp>();
      }
      if (event.kind === 'tombstone')
        expectTypeOf(event.key).toEqualTypeOf<{ id: bigint } | null>();
    });
  });

  it('rejects a handler written for another row type', () => {
    // @ts-expect-error: the handler expects rows of another shape
    tableHandler(orders, (event: DecodedRecord<{ other: string }, { id: bigint }>) => {
      void event;
    });
  });
});
