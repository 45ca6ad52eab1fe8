import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createSagaRuntime, type SagaRuntime } from '@trackops/saga';
import { stackEndpoints } from '@trackops/testkit';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSagas } from '../support/audit.js';
import { SagaWorld } from '../support/world.js';

const supportDir = fileURLToPath(new URL('../support/', import.meta.url));
const packageDir = path.resolve(supportDir, '..', '..');

/** One run of support/orchestratorProcess.ts. */
interface Orchestrator {
  child: ChildProcess;
  /** Sagas this process ended (its own count, from its output). */
  ended: () => number;
  exited: Promise<NodeJS.Signals | number | null>;
  /** SIGKILL: no goodbye, the crash under test. */
  kill: () => Promise<void>;
}

async function startOrchestrator(env: Record<string, string>): Promise<Orchestrator> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@trackops/source',
      '--import',
      'tsx',
      path.join(supportDir, 'orchestratorProcess.ts'),
    ],
    { cwd: packageDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let ended = 0;
  let stderr = '';
  let output = '';
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output.split('\n');
      output = lines.pop()!;
      for (const line of lines) {
        const message = JSON.parse(line) as { started?: number; ended?: string };
        if (message.started !== undefined) resolve();
        if (message.ended !== undefined) ended++;
      }
    });
    void exited.then((how) =>
      reject(new Error(`orchestrator exited (${how}) before starting:\n${stderr}`)),
    );
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  await Promise.race([
    started,
    sleep(30_000).then(() => Promise.reject(new Error('no start'))),
  ]).catch(async (error: Error) => {
    await kill();
    throw error;
  });
  return { child, ended: () => ended, exited, kill };
}

/**
 * The orchestrator in a process of its own, SIGKILLed at random moments while 200 order sagas
 * flow (participants keep running), restarted each time: what is promised is that every saga
 * ends — completed, or compensated when its payment is declined — none stays stuck, and no
 * transition, command or participant effect happens twice.
 */
describe('orchestrator crashes', () => {
  const stack = stackEndpoints();
  const stock = { A: 100_000, B: 100_000 };
  let world: SagaWorld;
  /** The order service: begins sagas in its own transactions; never started, runs nothing. */
  let orders: SagaRuntime;
  const orchestrators: Orchestrator[] = [];

  beforeAll(async () => {
    world = await SagaWorld.create(stack, 'saga_crash', { stock, poolSize: 10 });
    await world.startParticipants();
    orders = createSagaRuntime({
      pool: world.pool,
      kafka: world.kafka,
      sagas: [world.saga],
      replyTopic: world.replyTopic,
      tables: { schema: 'orders' },
    });
  });
  afterAll(async () => {
    await Promise.all(orchestrators.map((orchestrator) => orchestrator.kill()));
    await world.drop();
  });

  it('SIGKILLed four times during 200 sagas and restarted: every saga completes or compensates once', async () => {
    const spawnOrchestrator = async (): Promise<Orchestrator> => {
      const orchestrator = await startOrchestrator({
        DATABASE_URL: world.db.url,
        KAFKA_BROKERS: stack.KAFKA_BROKERS,
        PREFIX: world.prefix,
        TIMEOUT_MS: '20000',
      });
      orchestrators.push(orchestrator);
      return orchestrator;
    };
    const active = async (): Promise<number> =>
      (
        await world.db.pool.query<{ n: number }>(
          `select count(*)::int as n from orders.saga_instances where status in ('RUNNING', 'COMPENSATING')`,
        )
      ).rows[0]!.n;

    // 200 orders: before each of four kills a batch of 50 is placed, and the kill comes a random
    // 0.1–1 s later — while that batch's sagas are in flight — then the orchestrator restarts at
    // once. One order in five has its card declined.
    const declined = new Set<string>();
    const placeBatch = (batch: number) =>
      Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const orderId = uuidv7();
          if (Math.random() < 0.2) {
            declined.add(orderId);
            world.faults.declinePayment.add(orderId);
          }
          const sku = i % 2 === 0 ? 'A' : 'B';
          await world.placeOrder(orders, {
            orderId,
            items: [{ sku, quantity: 1 + (i % 3) }],
            amount: `${batch}.${i}`,
          });
        }),
      );

    const kills: Array<{ afterMs: number; active: number; ended: number }> = [];
    let orchestrator = await spawnOrchestrator();
    for (let kill = 0; kill < 4; kill++) {
      await placeBatch(kill);
      const afterMs = Math.round(100 + Math.random() * 900);
      await sleep(afterMs);
      kills.push({ afterMs, active: await active(), ended: orchestrator.ended() });
      await orchestrator.kill();
      expect(await orchestrator.exited).toBe('SIGKILL');
      orchestrator = await spawnOrchestrator();
    }

    await expect.poll(active, { timeout: 60_000, interval: 250 }).toBe(0);
    const audit = await auditSagas(world, stock);
    console.log(
      `[saga crash] kills ${JSON.stringify(kills)}; ${JSON.stringify(audit.byStatus)}; ${audit.timedOut.size} timed out; last process ended ${orchestrator.ended()}`,
    );
    expect(audit.violations).toEqual([]);
    expect(audit.total).toBe(200);
    expect(audit.byStatus).toEqual({ COMPLETED: 200 - declined.size, COMPENSATED: declined.size });
    expect(audit.reasons).toEqual(
      declined.size > 0 ? { 'process-payment: card declined': declined.size } : {},
    );
    // The kills hit sagas in flight, not an idle orchestrator.
    expect(kills.reduce((sum, entry) => sum + entry.active, 0)).toBeGreaterThan(0);
    // Graceful stop of the survivor: it exits by itself.
    orchestrator.child.kill('SIGTERM');
    expect(await orchestrator.exited).toBe(0);
  }, 150_000);
});
