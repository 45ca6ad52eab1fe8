/**
 * Decoded values equal what was written to PostgreSQL, for every column type of the
 * wide-types fixtures: by the record's schema (schemas.enable=true), by a typed table
 * (schemas.enable=false), and in the string handling modes.
 */
import { describe, expect, it } from 'vitest';
import {
  Timestamp,
  UNAVAILABLE,
  column,
  createDecoder,
  defineTable,
  isUnavailable,
  type ChangeEvent,
  type DecodedRecord,
} from '@trackops/cdc';
import { load, onTopic, writtenInsert, type Fixture } from './support/fixtures.js';
import { wideTypesColumns as precise, wideTypesTable as wideTypes } from './support/wideTypes.js';

const decoder = createDecoder();

const wideTypesStringModes = defineTable({
  table: 'wide_types',
  key: ['id'],
  columns: {
    ...precise,
    c_numeric_12_4: column.decimal({ handling: 'string' }).nullable(),
    c_numeric: column.decimal({ handling: 'string' }).nullable(),
    c_bytea: column.bytes({ encoding: 'hex' }).nullable(),
    c_interval: column.string().nullable(),
  },
});

type Mode = 'precise' | 'string';

/** `10:15:30.123456+05:30` → `04:45:30.123456Z`: what Debezium documents for timetz. */
function timetzInUtc(text: string): string {
  const match = /^(\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?$/.exec(text)!;
  const [, h, m, s, fraction = '', sign, oh, om = '0'] = match;
  const offset = (Number(oh) * 3600 + Number(om) * 60) * (sign === '+' ? 1 : -1);
  const seconds =
    (((Number(h) * 3600 + Number(m) * 60 + Number(s) - offset) % 86400) + 86400) % 86400;
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}${fraction}Z`;
}

/**
 * Microseconds of a PostgreSQL interval text as Debezium's MicroDuration approximates them:
 * a year is 365.25 days, a month 30.4375 days.
 */
function intervalMicros(text: string): bigint {
  const day = 86_400_000_000n;
  let micros = 0n;
  for (const [, count, unit] of text.matchAll(/(-?\d+) (year|mon|month|day)s?/g)) {
    const per =
      unit === 'year' ? (day * 36525n) / 100n : unit === 'day' ? day : (day * 304375n) / 10000n;
    micros += BigInt(count!) * per;
  }
  const time = /([+-])?(\d+):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
  if (time !== null) {
    const [, sign, h, m, s, fraction = ''] = time;
    const value =
      (BigInt(h!) * 3600n + BigInt(m!) * 60n + BigInt(s!)) * 1_000_000n +
      BigInt(fraction.padEnd(6, '0'));
    micros += sign === '-' ? -value : value;
  }
  return micros;
}

const special: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** What each column must decode to, from the value written (and PostgreSQL's stored text). */
function expectedRow(fixture: Fixture, id: number, mode: Mode): Record<string, unknown> {
  const w = writtenInsert(fixture, id);
  const stored = fixture.database?.stored?.find((row) => row['id'] === String(id));
  const or = <T>(value: unknown, map: (value: never) => T) =>
    value === null ? null : map(value as never);
  return {
    id,
    c_smallint: w['c_smallint'],
    c_integer: w['c_integer'],
    c_bigint: or(w['c_bigint'], (text: string) => BigInt(text)),
    c_numeric_12_4: w['c_numeric_12_4'],
    // Precise mode cannot represent NaN: Debezium sends null. String mode sends NAN.
    c_numeric: w['c_numeric'] === 'NaN' && mode === 'precise' ? null : w['c_numeric'],
    c_real: or(w['c_real'], (value: number | string) =>
      typeof value === 'string' ? special[value] : value,
    ),
    c_double: or(w['c_double'], (value: number | string) =>
      typeof value === 'string' ? special[value] : value,
    ),
    c_boolean: w['c_boolean'],
    c_text: w['c_text'],
    c_varchar_20: w['c_varchar_20'],
    c_char_5: or(w['c_char_5'], (text: string) => text.padEnd(5, ' ')),
    c_bytea: w['c_bytea'], // compared as PostgreSQL's hex text
    c_uuid: w['c_uuid'],
    c_json: or(w['c_json'], (text: string) => JSON.parse(text) as unknown),
    c_jsonb: or(w['c_jsonb'], (text: string) => JSON.parse(text) as unknown),
    c_date: w['c_date'],
    c_time: w['c_time'],
    c_timetz: or(w['c_timetz'], timetzInUtc),
    c_timestamp: or(w['c_timestamp'], (text: string) => text.replace(' ', 'T')),
    // As PostgreSQL stored it (session time zone UTC), in Debezium's ISO form.
    c_timestamptz:
      stored?.['c_timestamptz'] === undefined
        ? null
        : or(stored['c_timestamptz'], (text: string) =>
            text.replace(' ', 'T').replace(/\+00$/, 'Z'),
          ),
    c_interval:
      mode === 'precise'
        ? or(w['c_interval'], intervalMicros)
        : or(w['c_interval'], (text: string) => isoIntervals[text]),
    c_text_array: w['c_text_array'],
    c_integer_array: w['c_integer_array'],
    c_enum: w['c_enum'],
    c_toast: w['c_toast'],
  };
}

// interval.handling.mode=string renders ISO-8601 (values from Debezium's documentation of the
// mode, as the fixture README records them).
const isoIntervals: Record<string, string> = {
  '1 year 2 months 3 days 04:05:06.789012': 'P1Y2M3DT4H5M6.789012S',
  '-1 days +02:03:04.5': 'P0Y0M-1DT2H3M4.5S',
};

/** Decoded values in comparable form: bytes as PostgreSQL's hex text, timestamps as ISO. */
function comparable(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([name, value]) => [
      name,
      value instanceof Uint8Array
        ? `\\x${Buffer.from(value).toString('hex')}`
        : value instanceof Timestamp
          ? value.iso
          : value,
    ]),
  );
}

function changes(events: DecodedRecord<Record<string, unknown>, unknown>[]) {
  return events.filter(
    (event): event is ChangeEvent<Record<string, unknown>, unknown> => event.kind === 'change',
  );
}

const cases = [
  { file: 'wide-types.schemas-true', mode: 'precise', typed: false },
  { file: 'wide-types.schemas-true', mode: 'precise', typed: true },
  { file: 'wide-types.schemas-false', mode: 'precise', typed: true },
  { file: 'wide-types.string-modes', mode: 'string', typed: true },
] as const;

describe.each(cases)('$file (typed table: $typed)', ({ file, mode, typed }) => {
  const fixture = load(file);
  // Both declarations type the same row shape; only the conversions differ.
  const table = (mode === 'string' ? wideTypesStringModes : wideTypes) as typeof wideTypes;
  const events = onTopic(fixture, '.public.wide_types').map((record) =>
    typed ? decoder.decode(record, table) : decoder.decode(record),
  ) as DecodedRecord<Record<string, unknown>, unknown>[];
  const byOp = (op: string, id: number) =>
    changes(events).find(
      (event) => event.op === op && (event.after ?? event.before)?.['id'] === id,
    )!;

  it.each([
    ['r', 1],
    ['r', 3],
    ['c', 11],
    ['c', 12],
    ['c', 13],
  ] as const)('%s of row %i equals what was written', (op, id) => {
    const event = byOp(op, id);
    expect(event.op).toBe(op);
    const expected = expectedRow(fixture, id, mode);
    // String mode: Debezium writes a numeric NaN as NAN; decimal() gives PostgreSQL's NaN.
    expect(comparable(event.after!)).toEqual(expected);
  });

  it('keeps int64 extremes and timestamp microseconds exactly', () => {
    const after = byOp('r', 1).after!;
    expect(after['c_bigint']).toBe(-9223372036854775808n);
    expect(byOp('r', 3).after!['c_bigint']).toBe(9223372036854775807n);
    const timestamp = after['c_timestamp'] as Timestamp;
    expect(timestamp.epochMicros).toBe(1709251199123456n);
    expect(timestamp.iso).toBe('2024-02-29T23:59:59.123456');
    const preEpoch = byOp('r', 3).after!['c_timestamp'] as Timestamp;
    expect(preEpoch.epochMicros).toBe(-2208988799999999n);
    expect(preEpoch.iso).toBe('1900-01-01T00:00:00.000001');
  });

  it('gives the TOAST marker, not the placeholder text, for the unchanged column', () => {
    const update = byOp('u', 11);
    expect(update.after!['c_toast']).toBe(UNAVAILABLE);
    expect(isUnavailable(update.after!['c_toast'])).toBe(true);
    const updated = fixture.written.find((entry) => entry.op === 'update')!;
    expect(update.after!['c_integer']).toBe(updated.values!['c_integer']);
    expect(update.after!['c_text']).toBe(updated.values!['c_text']);
    // The rest of the row is the row as PostgreSQL stored it after the update.
    const stored = fixture.database!.stored!.find((row) => row['id'] === '11')!;
    expect(String(update.after!['c_numeric_12_4'])).toBe(stored['c_numeric_12_4']);
    expect(update.after!['c_date']).toBe(stored['c_date']);
    expect(update.after!['c_enum']).toBe(stored['c_enum']);
    expect(update.before).toBeNull();
  });

  it('decodes the delete (key only) and its tombstone', () => {
    const deleted = byOp('d', 12);
    expect(deleted.op).toBe('d');
    expect(deleted.before!['id']).toBe(12);
    expect(deleted.key).toEqual({ id: 12 });
    expect(events.at(-1)).toMatchObject({ kind: 'tombstone', key: { id: 12 } });
  });
});

describe('schemas.enable=false without a table', () => {
  it('keeps large integers exact and recognises the TOAST placeholder', () => {
    const fixture = load('wide-types.schemas-false');
    const events = onTopic(fixture, '.public.wide_types').map((record) => decoder.decode(record));
    const [first, , , , , update] = events as ChangeEvent[];
    expect(first!.after!['c_bigint']).toBe(-9223372036854775808n);
    expect(first!.tsNs).toBeTypeOf('bigint');
    // Without a schema the decoder cannot know a base64 string is a numeric: it stays as sent.
    expect(first!.after!['c_numeric_12_4']).toBe('40Fm5ew=');
    expect(update!.after!['c_toast']).toBe(UNAVAILABLE);
  });
});
