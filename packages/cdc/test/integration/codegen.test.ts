import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, stackEndpoints, type TestDatabase } from '@trackops/testkit';
import { createDecoder, type Table } from '@trackops/cdc';
import { generateTables } from '../../src/codegen.js';
import { runCli } from '../../src/codegenCli.js';
import { load, writtenInsert } from '../unit/support/fixtures.js';

const indexModule = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const fixture = load('wide-types.schemas-false');
const ddl = (fixture as unknown as { sql: string[] }).sql.filter((sql) =>
  /^\s*(create|alter|set)\b/i.test(sql),
);

describe('generateTables against a real database', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'cdc_codegen');
    for (const sql of ddl) await db.pool.query(sql);
    await db.pool.query(`create table extra (
      a numeric(10,2)[] not null, b time(3), c timestamp(0), d timestamptz not null,
      e "char", f bytea[], g inet, h text default 'x', k integer, l integer,
      primary key (k, l))`);
    dir = await mkdtemp(path.join(os.tmpdir(), 'cdc-codegen-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('declares the wide_types table so that its captured records decode to what was written', async () => {
    const source = await generateTables(db.pool, {
      tables: ['wide_types'],
      toastable: true,
      importFrom: indexModule,
    });
    expect(source).toContain('export const wideTypes = defineTable({');
    expect(source).toContain("key: ['id'],");
    expect(source).toContain(
      'c_numeric_12_4: column.toastable(column.decimal({ scale: 4 })).nullable(),',
    );
    expect(source).toContain(
      "c_enum: column.enumOf(['created', 'in_transit', 'delivered']).nullable(),",
    );
    const file = path.join(dir, 'tables.ts');
    await writeFile(file, source);
    const generated = (await import(file)) as {
      wideTypes: Table<Record<string, unknown>, unknown>;
    };

    const decoder = createDecoder();
    let checked = 0;
    for (const record of fixture.records) {
      const event = decoder.decode(record, generated.wideTypes);
      if (event.kind !== 'change' || (event.op !== 'r' && event.op !== 'c')) continue;
      const row = event.after;
      const values = writtenInsert(fixture, row['id'] as number);
      // Values whose written form is the decoded form, compared as written.
      for (const name of [
        'id',
        'c_smallint',
        'c_integer',
        'c_numeric_12_4',
        'c_numeric',
        'c_boolean',
        'c_text',
        'c_varchar_20',
        'c_uuid',
        'c_date',
        'c_text_array',
        'c_integer_array',
        'c_enum',
      ])
        // Debezium writes numeric 'NaN' as null (VariableScaleDecimal has no NaN).
        expect(row[name], name).toEqual(values[name] === 'NaN' ? null : values[name]);
      expect(row['c_bigint']).toBe(
        values['c_bigint'] === null ? null : BigInt(values['c_bigint'] as string),
      );
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it('maps array, precision, domain-less and unknown types and the composite key', async () => {
    const source = await generateTables(db.pool, { tables: ['extra'] });
    expect(source).toContain("key: ['k', 'l'],");
    expect(source).toContain('a: column.array(column.decimal({ scale: 2 }).nullable()),');
    expect(source).toContain('b: column.time().nullable(),');
    expect(source).toContain('c: column.timestamp().nullable(),');
    expect(source).toContain('d: column.zonedTimestamp(),');
    expect(source).toContain('f: column.array(column.bytes().nullable()).nullable(),');
    expect(source).toContain('g: column.string().nullable() /* inet: rendered as text */,');
    expect(source).toContain('k: column.int32(),');
  });

  it('the CLI writes the file, and fails clearly on a missing table or bad usage', async () => {
    let stderr = '';
    const io = {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
    };
    const out = path.join(dir, 'cli.ts');
    expect(
      await runCli(['--database-url', db.url, '--table', 'extra', '--out', out], io),
      stderr,
    ).toBe(0);
    expect(await runCli(['--database-url', db.url, '--table', 'nope'], io)).toBe(1);
    expect(stderr).toContain('no table public.nope');
    expect(await runCli(['--table', 'extra'], io)).toBe(2);
    expect(await runCli(['--bogus'], io)).toBe(2);
  });
});
