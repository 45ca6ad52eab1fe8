/**
 * `npm run demo` until the reference app exists (issue 8): runs the stack's smoke path and
 * prints what happened. The order/inventory/event-relay demo replaces this.
 */
import { endpoints } from '@trackops/stack';
import { cdcSmoke, kafkaSmoke, redisSmoke } from '@trackops/testkit/smoke';

function show(title: string, lines: string[]): void {
  console.log(`\n== ${title}`);
  for (const line of lines) console.log(`   ${line}`);
}

async function main(): Promise<void> {
  console.log(
    '\nThe TrackOps reference app (order, inventory and event-relay services) is not built yet',
  );
  console.log('(issue 8). Until it is, the demo runs the stack smoke path on the real servers:');
  const stack = endpoints();

  const cdc = await cdcSmoke(stack);
  show('PostgreSQL -> Debezium -> Kafka', [
    `inserted into parcels: ${JSON.stringify(cdc.inserted)}`,
    `change event on topic ${cdc.record.topic} (partition ${cdc.record.partition}, offset ${cdc.record.offset})`,
    `key:   ${JSON.stringify(cdc.key)}`,
    `op:    ${String(cdc.value.op)}   after: ${JSON.stringify(cdc.value.after)}`,
    `lsn:   ${String(cdc.value.source?.['lsn'])}   commit -> consumer: ${cdc.commitToConsumeMs} ms`,
  ]);

  const kafka = await kafkaSmoke(stack);
  const inOrder = [...new Set(kafka.sent.map((message) => message.key))].every((key) => {
    const sent = kafka.sent
      .filter((message) => message.key === key)
      .map((message) => message.value);
    const received = kafka.received
      .filter((record) => record.key === key)
      .map((record) => record.value);
    return JSON.stringify(sent) === JSON.stringify(received);
  });
  show('Kafka (idempotent producer, acks=all -> consumer group)', [
    `sent ${kafka.sent.length} records over 5 keys to ${kafka.topic} (3 partitions)`,
    `received ${kafka.received.length}; order per key ${inOrder ? 'kept' : 'BROKEN'}`,
  ]);

  const redis = await redisSmoke(stack);
  show('Redis', [
    `SET ${redis.key} EX 60 -> GET returned ${redis.read === redis.written ? 'the same value' : String(redis.read)} (ttl ${redis.ttlSeconds} s)`,
  ]);

  console.log('\nEndpoints (also in .stack/env):');
  for (const [key, value] of Object.entries(stack)) console.log(`   ${key}=${value}`);
  console.log('\nStop the servers with: npm run stack -- down\n');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
