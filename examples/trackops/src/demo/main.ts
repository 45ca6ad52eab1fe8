/**
 * `npm run demo`: the stack up, the three services started, the connectors registered (by the
 * event-relay-service), sample data loaded and the scripted scenario run, then a summary. The
 * services stay up until Ctrl-C; `--once` stops them and exits after the summary.
 */
import { runScenario } from './scenario.js';
import { printSummary } from './summary.js';
import { startSystem } from './system.js';

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const print = (line: string): void => console.log(line);
  const system = await startSystem({ LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info' }, (line) =>
    print(`[demo] ${line}`),
  );
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    print('[demo] stopping the services');
    await system.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  try {
    print(
      '[demo] running the scenario: orders that succeed, one short of stock, one whose payment is declined, one cancelled',
    );
    const result = await runScenario(system, Date.now().toString(36));
    await printSummary(system, result, print);
  } catch (error) {
    await stop();
    throw error;
  }
  if (once) {
    await stop();
    return;
  }
  print('');
  print(
    '[demo] the services keep running; press Ctrl-C to stop them (the stack stays up: npm run stack -- down)',
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
