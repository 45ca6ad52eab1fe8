/**
 * Regression tests for the second round of decoder fast paths (issue 5): the anchored big-integer
 * scan and its fallback, the schema-text cache of `schemas.enable=true` records, the compiled
 * Connect-schema conversion, the U+FFFD check that replaces the separate UTF-8 pass, and the
 * `source.sequence` shortcut. Each must give exactly what the general way gives, errors included.
 */
import { describe, expect, it } from 'vitest';
import { DebeziumDecodeError, UNAVAILABLE, createDecoder } from '@trackops/cdc';
import { parseJson } from '../../src/json.js';
import { quoteBigIntegers, quoteBigIntegersOptimistic } from '../../src/jsonScan.js';
import { unwrapSchema } from '../../src/envelope.js';

const decoder = createDecoder();
const path = { parent: undefined, segment: 'value' };

const source = {
  version: '3.2.7.Final',
  connector: 'postgresql',
  name: 'app',
  ts_ms: 1,
  snapshot: 'false',
  db: 'app',
  sequence: '[null,"24023128"]',
  ts_ns: 1795765958843493000,
  schema: 'public',
  table: 'notes',
  txId: 1,
  lsn: 2,
  xmin: null,
};

const sourceSchema = {
  type: 'struct',
  field: 'source',
  fields: [
    { type: 'string', field: 'version' },
    { type: 'int64', field: 'ts_ns', optional: true },
  ],
};

function envelopeSchema(fields: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return {
    type: 'struct',
    fields: [
      { field: 'before', type: 'struct', optional: true, fields },
      { field: 'after', type: 'struct', optional: true, fields },
      sourceSchema,
      { field: 'op', type: 'string' },
      { field: 'ts_ms', type: 'int64', optional: true },
    ],
    optional: false,
    name: 'app.public.notes.Envelope',
    ...extra,
  };
}

const fields = [
  { type: 'int64', optional: false, field: 'id' },
  { type: 'string', optional: true, field: 'note' },
  {
    type: 'bytes',
    optional: true,
    name: 'org.apache.kafka.connect.data.Decimal',
    parameters: { scale: '2' },
    field: 'price',
  },
];

/** JsonConverter's layout, written by hand so the big integers stay exact in the text. */
function withSchema(schema: unknown, payloadText: string): string {
  return `{"schema":${JSON.stringify(schema)},"payload":${payloadText}}`;
}

const payload =
  '{"before":null,"after":{"id":9223372036854775807,"note":"a","price":"AQ=="},' +
  `"source":${JSON.stringify(source).replace('1795765958843493000', '1795765958843493123')},` +
  '"op":"c","ts_ms":2}';

function decodeText(value: string, key: string | null = null) {
  return decoder.decode({ topic: 'app.public.notes', key, value: Buffer.from(value) });
}

function decodeError(value: string): DebeziumDecodeError {
  try {
    decodeText(value);
  } catch (error) {
    expect(error).toBeInstanceOf(DebeziumDecodeError);
    return error as DebeziumDecodeError;
  }
  throw new Error('expected a DebeziumDecodeError');
}

describe('the anchored big-integer scan', () => {
  it('quotes what the exact scan quotes when every candidate is a number', () => {
    const text = '{"a":-9223372036854775808,"b":[1, 18446744073709551615],"c":"x"}';
    expect(quoteBigIntegersOptimistic(text)).toEqual(quoteBigIntegers(text));
  });

  it('breaks the text (so the caller falls back) for a digit run inside a string', () => {
    const text = '{"s":"id,12345678901234567890","n":12345678901234567891}';
    const quoted = quoteBigIntegersOptimistic(text)!;
    expect(() => JSON.parse(quoted.text) as unknown).toThrow();
    expect(parseJson(text, path)).toEqual({
      s: 'id,12345678901234567890',
      n: 12345678901234567891n,
    });
  });

  it('finds every long run wherever it sits (it samples one character in 16)', () => {
    // Runs of 15–20 digits at every offset, as members, array elements and inside strings.
    for (let pad = 0; pad < 40; pad++) {
      for (let digits = 15; digits <= 20; digits++) {
        const run = `9${'1'.repeat(digits - 1)}`;
        const filler = 'x'.repeat(pad);
        const text = `{"${filler}":${run},"a":[${run},-${run}],"s":"${filler} ${run}","t":1.${run}}`;
        const exact = quoteBigIntegers(text);
        const optimistic = quoteBigIntegersOptimistic(text)!;
        let parsed: unknown;
        try {
          parsed = JSON.parse(optimistic.text);
        } catch {
          parsed = undefined;
        }
        // Either it quoted exactly what the exact scan quotes, or it broke the text.
        if (parsed !== undefined) expect(optimistic).toEqual(exact);
        const value = parseJson(text, path) as Record<string, unknown>;
        const expected = digits >= 17 || BigInt(run) > BigInt(Number.MAX_SAFE_INTEGER);
        expect(typeof value[filler]).toBe(expected ? 'bigint' : 'number');
        expect(value['s']).toBe(`${filler} ${run}`);
        expect(value['a']).toEqual(
          expected ? [BigInt(run), -BigInt(run)] : [Number(run), -Number(run)],
        );
      }
    }
  });

  it('leaves a text that starts with a number to the exact scan', () => {
    expect(quoteBigIntegersOptimistic('12345678901234567890')).toBeUndefined();
    expect(parseJson('12345678901234567890', path)).toBe(12345678901234567890n);
    expect(parseJson(' 12345678901234567890', path)).toBe(12345678901234567890n);
  });

  it('still reports text that is not JSON', () => {
    expect(() => parseJson('{"a":12345678901234567890', path)).toThrow(DebeziumDecodeError);
  });
});

describe('the schema-text cache', () => {
  it('decodes a schemas.enable=true record as the general way does, twice over', () => {
    const text = withSchema(envelopeSchema(fields), payload);
    for (let round = 0; round < 2; round++) {
      const event = decodeText(text);
      expect(event.kind === 'change' && event.after).toEqual({
        id: 9223372036854775807n,
        note: 'a',
        price: '0.01',
      });
      expect(event.kind === 'change' && event.source.tsNs).toBe(1795765958843493123n);
    }
  });

  it('gives the same payload and schema as parsing the whole text', () => {
    const text = withSchema(envelopeSchema(fields), payload);
    const whole = unwrapSchema(parseJson(text, path), path);
    const event = decodeText(text);
    expect(event.kind).toBe('change');
    expect(whole.payload).toMatchObject({ op: 'c' });
  });

  it('keeps apart several schemas alternating on one topic', () => {
    const other = [{ type: 'int32', optional: false, field: 'id' }];
    const first = withSchema(envelopeSchema(fields), payload);
    const second = withSchema(
      envelopeSchema(other),
      `{"before":null,"after":{"id":7},"source":${JSON.stringify(source)},"op":"c","ts_ms":2}`,
    );
    for (let round = 0; round < 3; round++) {
      const a = decodeText(first);
      const b = decodeText(second);
      expect(a.kind === 'change' && a.after).toMatchObject({ id: 9223372036854775807n });
      expect(b.kind === 'change' && b.after).toEqual({ id: 7 });
    }
  });

  it('is not fooled by a "payload" member inside the schema', () => {
    // A default value whose map has a `payload` key: the first `},"payload":` is inside it.
    const schema = envelopeSchema(fields, { default: { x: {}, payload: 1 } });
    const text = withSchema(schema, payload);
    expect(text.indexOf('},"payload":')).toBeLessThan(text.lastIndexOf('},"payload":'));
    const event = decodeText(text);
    expect(event.kind === 'change' && event.after).toMatchObject({ id: 9223372036854775807n });
  });

  it('reports a broken payload at the same place as before', () => {
    const schema = envelopeSchema(fields);
    const error = decodeError(withSchema(schema, '{"before":null,"after":{"id":1,}'));
    expect(error.code).toBe('CDC_INVALID_JSON');
    expect(error.path).toBe('value');
  });

  it('reports a wrong column value by its path through the compiled conversion', () => {
    const text = withSchema(envelopeSchema(fields), payload.replace('"note":"a"', '"note":5'));
    expect(decodeError(text).path).toBe('value.payload.after.note');
  });

  it('reports a missing required column by its path', () => {
    const text = withSchema(
      envelopeSchema(fields),
      payload.replace('"id":9223372036854775807,', ''),
    );
    expect(() => decodeText(text)).toThrow(/value\.payload\.after\.id/);
  });

  it('keeps the TOAST placeholder and nested structs through the compiled conversion', () => {
    const nested = [
      { type: 'string', optional: true, field: 'note' },
      {
        type: 'array',
        optional: true,
        items: { type: 'int64', optional: true },
        field: 'ids',
      },
    ];
    const text = withSchema(
      envelopeSchema(nested),
      '{"before":null,"after":{"note":"__debezium_unavailable_value","ids":[1,12345678901234567890,null]},' +
        `"source":${JSON.stringify(source)},"op":"u","ts_ms":2}`,
    );
    const event = decodeText(text);
    expect(event.kind === 'change' && event.after).toEqual({
      note: UNAVAILABLE,
      ids: [1n, 12345678901234567890n, null],
    });
  });
});

describe('UTF-8 and source.sequence shortcuts', () => {
  it('accepts a real U+FFFD and rejects bytes that decode to one', () => {
    const text = `{"before":null,"after":{"t":"\uFFFD"},"source":${JSON.stringify(source)},"op":"c","ts_ms":1}`;
    const event = decodeText(text);
    expect(event.kind === 'change' && event.after).toEqual({ t: '\uFFFD' });
    const bad = Buffer.concat([
      Buffer.from('{"a":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    expect(() => decoder.decode({ topic: 't', key: null, value: bad })).toThrow(/not UTF-8/);
  });

  it('reads source.sequence as JSON.parse does, and rejects what it rejected', () => {
    const event = decodeText(
      `{"before":null,"after":{"id":1},"source":${JSON.stringify(source)},"op":"c","ts_ms":1}`,
    );
    expect(event.kind === 'change' && event.source.sequence).toEqual([null, '24023128']);
    const spaced = { ...source, sequence: '[ "1", null ]' };
    const other = decodeText(
      `{"before":null,"after":{"id":1},"source":${JSON.stringify(spaced)},"op":"c","ts_ms":1}`,
    );
    expect(other.kind === 'change' && other.source.sequence).toEqual(['1', null]);
    const broken = { ...source, sequence: '[1,2]' };
    expect(() =>
      decodeText(
        `{"before":null,"after":{"id":1},"source":${JSON.stringify(broken)},"op":"c","ts_ms":1}`,
      ),
    ).toThrow(/value\.source\.sequence/);
  });
});
