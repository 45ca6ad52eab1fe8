/**
 * Malformed input throws DebeziumDecodeError with the JSON path of the problem and what was
 * expected there, so a consumer can route the record to its DLQ.
 */
import { describe, expect, it } from 'vitest';
import { isTrackOpsError } from '@trackops/core';
import {
  DebeziumDecodeError,
  column,
  createDecoder,
  defineTable,
  type KafkaRecordLike,
} from '@trackops/cdc';
import { load, onTopic } from './support/fixtures.js';

const decoder = createDecoder();

function failure(record: KafkaRecordLike, decode = (r: KafkaRecordLike) => decoder.decode(r)) {
  try {
    decode(record);
  } catch (error) {
    expect(error).toBeInstanceOf(DebeziumDecodeError);
    return error as DebeziumDecodeError;
  }
  throw new Error('expected a DebeziumDecodeError');
}

type JsonObject = Record<string, unknown>;

/** A captured record with the value at a dotted path replaced (the fixture stays as captured). */
function edited(
  file: 'operations.schemas-false' | 'operations.schemas-true',
  index: number,
  path: string,
  replacement: unknown,
): KafkaRecordLike {
  const record = onTopic(load(file), '.public.parcels')[index]!;
  const value = JSON.parse(record.value!) as JsonObject;
  const names = path.split('.');
  const parent = names.slice(0, -1).reduce((object, name) => object[name] as JsonObject, value);
  parent[names.at(-1)!] = replacement;
  return { ...record, value: JSON.stringify(value) };
}

describe('malformed records', () => {
  it('truncated JSON is CDC_INVALID_JSON at value', () => {
    const record = onTopic(load('operations.schemas-false'), '.public.parcels')[2]!;
    const error = failure({ ...record, value: record.value!.slice(0, 120) });
    expect(error.code).toBe('CDC_INVALID_JSON');
    expect(error.path).toBe('value');
    expect(error.retriable).toBe(false);
    expect(isTrackOpsError(error, 'CDC_INVALID_JSON')).toBe(true);
  });

  it('bytes that are not UTF-8 are CDC_INVALID_JSON', () => {
    const error = failure({ key: null, value: new Uint8Array([0xff, 0xfe, 0x7b]) });
    expect(error).toMatchObject({
      code: 'CDC_INVALID_JSON',
      path: 'value',
      expected: 'UTF-8 text',
    });
  });

  it('an unknown op names value.op and the ops expected', () => {
    const error = failure(edited('operations.schemas-false', 2, 'op', 'x'));
    expect(error.code).toBe('CDC_INVALID_EVENT');
    expect(error.path).toBe('value.op');
    expect(error.message).toBe('value.op: expected an op, one of c, u, d, r, t, m, found "x"');
  });

  it('with schemas.enable=true the path goes through payload', () => {
    const error = failure(edited('operations.schemas-true', 2, 'payload.op', 7));
    expect(error.path).toBe('value.payload.op');
  });

  it('a wrong type in the source block names the field', () => {
    const error = failure(edited('operations.schemas-false', 2, 'source.ts_ms', 'soon'));
    expect(error).toMatchObject({
      path: 'value.source.ts_ms',
      expected: 'an integer',
      found: '"soon"',
    });
  });

  it('an unknown snapshot marker names source.snapshot', () => {
    const error = failure(edited('operations.schemas-false', 0, 'source.snapshot', true));
    expect(error.path).toBe('value.source.snapshot');
    expect(error.found).toBe('true');
  });

  it('a malformed sequence is reported with its path', () => {
    const error = failure(edited('operations.schemas-false', 2, 'source.sequence', '[1,'));
    expect(error.path).toBe('value.source.sequence');
  });

  it('a create without after names value.after', () => {
    const error = failure(edited('operations.schemas-false', 2, 'after', null));
    expect(error.path).toBe('value.after');
  });

  it('a logical value of the wrong type names the column, by schema', () => {
    const error = failure(edited('operations.schemas-true', 2, 'payload.after.weight', 12));
    expect(error).toMatchObject({
      path: 'value.payload.after.weight',
      expected: 'base64 bytes',
      found: '12',
    });
  });

  it('a column of a typed table that does not convert names the column', () => {
    const parcels = defineTable({
      table: 'parcels',
      columns: {
        id: column.int32(),
        label: column.string(),
        weight: column.decimal({ scale: 2 }).nullable(),
      },
    });
    const record = edited('operations.schemas-false', 2, 'after.weight', '***');
    const error = failure(record, (r) => decoder.decode(r, parcels));
    expect(error.path).toBe('value.after.weight');
    const wrongType = edited('operations.schemas-false', 2, 'after.label', 5);
    expect(failure(wrongType, (r) => decoder.decode(r, parcels)).path).toBe('value.after.label');
  });

  it('a transaction block with a bad id names it', () => {
    const error = failure(
      edited('operations.schemas-false', 2, 'transaction', {
        id: 'x',
        total_order: 1,
        data_collection_order: 1,
      }),
    );
    expect(error.path).toBe('value.transaction.id');
  });

  it('an envelope that is not an object is rejected when the form is envelope', () => {
    const strict = createDecoder({ form: 'envelope' });
    expect(() => strict.decode({ key: null, value: '[1,2]' })).toThrow(
      /^value: expected a Debezium envelope/,
    );
  });

  it('a bad option fails at construction, naming it', () => {
    expect(() => createDecoder({ form: 'flat' as 'auto' })).toThrow(/form/);
  });
});
