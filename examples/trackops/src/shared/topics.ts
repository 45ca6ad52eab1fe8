import type { Kafka } from 'kafkajs';

/**
 * Creates the topics a service consumes (and their `.dlq` topics) if they do not exist, so a
 * consumer never subscribes to a missing topic (kafkajs fails then) and the first dead letter
 * does not depend on the broker's auto-creation. Existing topics are left as they are.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}
