import { describe, expect, it } from 'vitest';
import { parseJson } from '../../src/json.js';
import { quoteBigIntegers } from '../../src/jsonScan.js';

const path = { parent: undefined, segment: 'value' };
const parse = (text: string) => parseJson(text, path);

describe('quoteBigIntegers', () => {
  it('leaves a text without big integers as it is', () => {
    const text = '{"a":1,"b":"12345678901234567890","c":[1.5,-2]}';
    expect(quoteBigIntegers(text)).toEqual({ text, count: 0 });
  });

  it('quotes unsafe integer literals behind the sentinel, the sign included', () => {
    expect(quoteBigIntegers('{"a":-9223372036854775808,"b":[18446744073709551615]}')).toEqual({
      text: '{"a":"\\u0000-9223372036854775808","b":["\\u000018446744073709551615"]}',
      count: 2,
    });
  });

  it('refuses a text that already spells the sentinel', () => {
    expect(quoteBigIntegers('{"a":"\\u0000x","b":12345678901234567890}')).toBeUndefined();
  });

  it('refuses an unterminated string', () => {
    expect(quoteBigIntegers('{"a":"12345678901234567890')).toBeUndefined();
  });
});

describe('parseJson', () => {
  it('keeps 15- and 16-digit safe integers as numbers and makes unsafe ones bigint', () => {
    expect(
      parse(
        '[123456789012345,9007199254740991,-9007199254740991,9007199254740992,-9007199254740993,1795765958843493000,12345678901234567890]',
      ),
    ).toEqual([
      123456789012345,
      9007199254740991,
      -9007199254740991,
      9007199254740992n,
      -9007199254740993n,
      1795765958843493000n,
      12345678901234567890n,
    ]);
  });

  it('leaves digits inside strings alone, escaped quotes and backslashes included', () => {
    const text =
      '{"a":"x\\"12345678901234567890","b\\\\":"\\\\","c":12345678901234567890,"d":"\\\\\\"9999999999999999999"}';
    expect(parse(text)).toEqual({
      a: 'x"12345678901234567890',
      'b\\': '\\',
      c: 12345678901234567890n,
      d: '\\"9999999999999999999',
    });
  });

  it('gives floats and exponents exactly what JSON.parse gives', () => {
    const text =
      '[1.2345678901234567890123,12345678901234567890.5,1e300,1.5E+20,12345678901234567890e-5,-0.12345678901234567890,2e12345678901234567,0.5e-12345678901234567]';
    expect(parse(text)).toEqual(JSON.parse(text));
    expect((parse(text) as unknown[]).every((item) => typeof item === 'number')).toBe(true);
  });

  it('keeps -0 and whitespace-separated literals as JSON.parse does', () => {
    expect(Object.is(parse('-0'), -0)).toBe(true);
    expect(parse('{ "a" :\n  12345678901234567890 ,\t"b": 1 }')).toEqual({
      a: 12345678901234567890n,
      b: 1,
    });
  });

  it('parses a top-level big integer', () => {
    expect(parse('12345678901234567890')).toBe(12345678901234567890n);
    expect(parse(' -12345678901234567890 ')).toBe(-12345678901234567890n);
  });

  it('takes the careful path when a string holds NUL, and stays exact', () => {
    expect(parse('{"a":"\\u0000","b":12345678901234567890}')).toEqual({
      a: '\u0000',
      b: 12345678901234567890n,
    });
  });

  it('keeps the last of duplicate keys, big integers exact', () => {
    expect(parse('{"a":1,"a":12345678901234567890}')).toEqual({ a: 12345678901234567890n });
  });

  it('makes __proto__ an own property, as JSON.parse does', () => {
    const value = parse('{"__proto__":12345678901234567890}') as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(12345678901234567890n);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('rejects a leading zero and other invalid JSON with CDC_INVALID_JSON', () => {
    for (const text of ['01234567890123456789', '[12345678901234567890', '{"a":}', '-']) {
      let error: unknown;
      try {
        parse(text);
      } catch (caught) {
        error = caught;
      }
      expect((error as { code?: string } | undefined)?.code, text).toBe('CDC_INVALID_JSON');
    }
  });

  it('matches JSON.parse on every value but the big integers', () => {
    const text =
      '{"s":"Grüße \\uD83D\\uDE9A","n":null,"t":true,"f":false,"x":[[],{},3.14,-2],"big":{"ts_ns":1795765958843493000}}';
    const expected = JSON.parse(text) as { big: { ts_ns: unknown } };
    expected.big.ts_ns = 1795765958843493000n;
    expect(parse(text)).toEqual(expected);
  });

  // The restore walks from the last member backwards and stops at the last sentinel: every big
  // integer must still be found, wherever it sits.
  it('restores every big integer, in nested arrays and objects, first and last members', () => {
    const text =
      '[9007199254740993,{"a":{"b":[1,18446744073709551615,{"c":-9223372036854775808}]},"z":"x"},[[9007199254740994]],12345678901234567890]';
    expect(parse(text)).toEqual([
      9007199254740993n,
      { a: { b: [1, 18446744073709551615n, { c: -9223372036854775808n }] }, z: 'x' },
      [[9007199254740994n]],
      12345678901234567890n,
    ]);
  });
});

describe('quoteBigIntegers, the object-member fast path and its fallback', () => {
  it('quotes members after an unescaped key colon, and falls back for runs elsewhere', () => {
    expect(quoteBigIntegers('{"ts_ns":1795765392302123456,"n":-9223372036854775808}')).toEqual({
      text: '{"ts_ns":"\\u00001795765392302123456","n":"\\u0000-9223372036854775808"}',
      count: 2,
    });
    // In an array: not a member, so the careful walk decides (and quotes it).
    expect(quoteBigIntegers('{"a":[1,12345678901234567890]}')).toEqual({
      text: '{"a":[1,"\\u000012345678901234567890"]}',
      count: 1,
    });
    // Inside a string after an escaped quote and colon: digits of a string, never quoted.
    const inString = '{"s":"x\\":12345678901234567890"}';
    expect(quoteBigIntegers(inString)).toEqual({ text: inString, count: 0 });
  });
});
