/**
 * Regression tests for the decoder's fast paths (issue 5): the UTF-8 check, the per-table
 * column converters, the logical-type lookup and the in-place untyped rows must give exactly
 * what the slower code gave.
 */
import { describe, expect, it } from 'vitest';
import { UNAVAILABLE, column, createDecoder, defineTable } from '@trackops/cdc';
import { formatDate } from '../../src/values.js';

const decoder = createDecoder();

const source = {
  version: '2.7.0.Final',
  connector: 'postgresql',
  name: 'app',
  ts_ms: 1,
  snapshot: 'false',
  db: 'app',
  schema: 'public',
  table: 'notes',
  txId: 1,
  lsn: 2,
  xmin: null,
};

function record(value: unknown, key: unknown = { id: 1 }) {
  return {
    topic: 'app.public.notes',
    key: Buffer.from(JSON.stringify(key)),
    value: Buffer.from(JSON.stringify(value)),
  };
}

function schemaOf(fields: Record<string, unknown>[]) {
  return {
    type: 'struct',
    fields: [
      { field: 'before', type: 'struct', optional: true, fields },
      { field: 'after', type: 'struct', optional: true, fields },
      { field: 'source', type: 'struct', fields: [] },
      { field: 'op', type: 'string' },
      { field: 'ts_ms', type: 'int64', optional: true },
    ],
  };
}

describe('decoder fast paths', () => {
  it('drops a leading byte order mark and reads a plain Uint8Array as a Buffer', () => {
    const text = JSON.stringify({ op: 'c', source, before: null, after: { id: 1 }, ts_ms: 1 });
    const bytes = new Uint8Array(Buffer.from(`\uFEFF${text}`));
    const event = decoder.decode({ topic: 't', key: null, value: bytes });
    expect(event.kind === 'change' && event.after).toEqual({ id: 1 });
  });

  it('still rejects bytes that are not UTF-8, with the same error', () => {
    let error: unknown;
    try {
      decoder.decode({ topic: 't', key: null, value: new Uint8Array([0x7b, 0xff, 0x7d]) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'CDC_INVALID_JSON',
      path: 'value',
      expected: 'UTF-8 text',
      found: '3 bytes that are not UTF-8',
    });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('replaces placeholders in untyped rows and keeps a __proto__ column an own property', () => {
    const value =
      '{"op":"u","source":' +
      JSON.stringify(source) +
      ',"before":null,"after":{"id":1,"__proto__":"__debezium_unavailable_value","tags":["__debezium_unavailable_value"]},"ts_ms":1}';
    const event = decoder.decode({ topic: 't', key: null, value });
    if (event.kind !== 'change' || event.op !== 'u') throw new Error('expected an update');
    const after = event.after as Record<string, unknown>;
    expect(Object.getPrototypeOf(after)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(after, '__proto__')?.value).toBe(UNAVAILABLE);
    expect(after['tags']).toBe(UNAVAILABLE);
  });

  it('keeps a __proto__ column an own property in schema-typed rows too', () => {
    const schema = schemaOf([
      { field: 'id', type: 'int32' },
      { field: '__proto__', type: 'string', optional: true },
    ]);
    const payload = { op: 'c', source, before: null, after: { id: 1, __proto__: 'x' }, ts_ms: 1 };
    const text = JSON.stringify({ schema, payload }).replace(
      '"after":{"id":1}',
      '"after":{"id":1,"__proto__":"x"}',
    );
    const event = decoder.decode({ topic: 't', key: null, value: text });
    const after = (event.kind === 'change' ? event.after : undefined) as Record<string, unknown>;
    expect(Object.getPrototypeOf(after)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(after, '__proto__')?.value).toBe('x');
  });

  it('decodes two different Connect schemas on one topic, each by its own', () => {
    const asDate = schemaOf([
      { field: 'id', type: 'int32' },
      { field: 'due', type: 'int32', optional: true, name: 'io.debezium.time.Date' },
    ]);
    const asInt = schemaOf([
      { field: 'id', type: 'int32' },
      { field: 'due', type: 'int32', optional: true },
    ]);
    const payload = { op: 'c', source, before: null, after: { id: 1, due: 19782 }, ts_ms: 1 };
    const first = decoder.decode(record({ schema: asDate, payload }));
    const second = decoder.decode(record({ schema: asInt, payload }));
    const third = decoder.decode(record({ schema: asDate, payload }));
    expect(first.kind === 'change' && first.after).toEqual({ id: 1, due: '2024-02-29' });
    expect(second.kind === 'change' && second.after).toEqual({ id: 1, due: 19782 });
    expect(third.kind === 'change' && third.after).toEqual({ id: 1, due: '2024-02-29' });
  });

  it('converts each declared column by its own helper, arrays element by element', () => {
    const table = defineTable({
      table: 'notes',
      key: ['id'],
      columns: {
        id: column.int32(),
        due: column.date().nullable(),
        tags: column.array(column.date().nullable()).nullable(),
        body: column.toastable(column.string()),
      },
    });
    const event = decoder.decode(
      record({
        op: 'u',
        source,
        before: null,
        after: { id: 1, due: 0, tags: [19782, null], body: '__debezium_unavailable_value' },
        ts_ms: 1,
      }),
      table,
    );
    expect(event.kind === 'change' && event.after).toEqual({
      id: 1,
      due: '1970-01-01',
      tags: ['2024-02-29', null],
      body: UNAVAILABLE,
    });
    expect(event.kind === 'change' && event.key).toEqual({ id: 1 });
  });

  it('formats dates by arithmetic exactly as Date#toISOString does, years 1 to 9999 and beyond', () => {
    const byDate = (days: number) => new Date(days * 86_400_000).toISOString().slice(0, -14);
    const samples = [-719_163, -719_162, -719_161, -1, 0, 1, 19_782, 2_932_896, 2_932_897];
    for (let days = -719_200; days <= 2_933_000; days += 997) samples.push(days);
    for (let days = 10_900; days <= 11_400; days++) samples.push(days); // 1999–2001, leap 2000
    for (const days of samples) expect(formatDate(days), String(days)).toBe(byDate(days));
  });
});
