import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  stackEndpoints,
  uniqueName,
  withDatabase,
  type TestDatabase,
} from '@trackops/testkit';
import {
  createConnectClient,
  deleteConnector,
  ensureConnector,
  postgresConnectorConfig,
  slotLag,
} from '@trackops/cdc';

describe('slotLag against a real Debezium slot', () => {
  const stack = stackEndpoints();
  const client = createConnectClient({ url: stack.CONNECT_URL });
  const name = uniqueName('cdc_slotlag');
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'cdc_slotlag');
    await db.pool.query('create table parcels (id int primary key, label text not null)');
  });
  afterAll(async () => {
    await deleteConnector(client, name);
    await db.drop();
  });

  it("reports the connector's slot, and a lag that grows while the connector is paused", async () => {
    const definition = postgresConnectorConfig({
      name,
      databaseUrl: withDatabase(stack.CONNECT_DATABASE_URL, db.name),
      topicPrefix: name,
      tables: ['public.parcels'],
      snapshotMode: 'no_data',
    });
    await ensureConnector(client, definition, { waitForSlot: { db: db.pool } });

    const [slot] = await slotLag(db.pool, { slotName: name });
    expect(slot).toMatchObject({
      slotName: name,
      plugin: 'pgoutput',
      slotType: 'logical',
      database: db.name,
      active: true,
    });
    expect(typeof slot!.retainedWalBytes).toBe('bigint');
    expect(slot!.retainedWalBytes! >= 0n).toBe(true);
    expect(slot!.confirmedLagBytes! >= 0n).toBe(true);
    expect((await slotLag(db.pool)).map((entry) => entry.slotName)).toContain(name);
    expect(await slotLag(db.pool, { slotName: uniqueName('cdc_noslot') })).toEqual([]);

    await client.pause(name);
    for (;;) {
      const status = await client.status(name);
      if (status?.tasks.every((task) => task.state === 'PAUSED')) break;
      await sleep(200);
    }
    const [before] = await slotLag(db.pool, { slotName: name });
    await db.pool.query(
      "insert into parcels select i, repeat('x', 200) from generate_series(1, 2000) as i",
    );
    const [after] = await slotLag(db.pool, { slotName: name });
    // 2,000 rows of ~200 bytes write well over 400 kB of WAL, none of it confirmed.
    expect(after!.confirmedLagBytes! - before!.confirmedLagBytes!).toBeGreaterThan(400_000n);
    expect(after!.retainedWalBytes! - before!.retainedWalBytes!).toBeGreaterThan(400_000n);

    await client.resume(name);
    await ensureConnector(client, definition);
  });
});
