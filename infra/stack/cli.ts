/**
 * `npm run stack -- up | down [component…] | status | reset | env`
 * The project's own PostgreSQL, Redis, Kafka and Kafka Connect + Debezium on loopback.
 */
import { envFile } from './config.js';
import type { ComponentStatus } from './component.js';
import { check, down, endpoints, reset, status, up } from './stack.js';

const usage = `usage: npm run stack -- <command>
  up                 install what is missing, start every component, wait until ready
  down [name ...]    stop components (postgres, redis, kafka, connect; default all)
  status             each component's version, port, pid and health
  check              start nothing; fail naming each component that is not healthy
  env                print the endpoints as KEY=value lines
  reset              stop everything and delete the data under .stack/`;

function table(rows: ComponentStatus[]): string {
  const lines = rows.map((row) => [
    row.healthy ? 'ok  ' : 'DOWN',
    row.name,
    row.version ?? '-',
    row.mode === 'external' ? 'external' : `port ${String(row.port)}`,
    row.pid ? `pid ${row.pid}` : '-',
    row.endpoint,
    row.detail ?? '',
  ]);
  const widths = lines[0]!.map((_, column) =>
    Math.max(...lines.map((line) => line[column]!.length)),
  );
  return lines
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const started = Date.now();
      const result = await up();
      console.log(table(await status()));
      console.log(
        `\nready in ${((Date.now() - started) / 1000).toFixed(1)} s; endpoints written to ${envFile}:`,
      );
      for (const [key, value] of Object.entries(result)) console.log(`  ${key}=${value}`);
      return 0;
    }
    case 'down':
      await down(rest);
      console.log('stopped');
      return 0;
    case 'status': {
      const rows = await status();
      console.log(table(rows));
      return rows.every((row) => row.healthy) ? 0 : 1;
    }
    case 'check':
      await check();
      console.log(table(await status()));
      return 0;
    case 'env':
      for (const [key, value] of Object.entries(endpoints())) console.log(`${key}=${value}`);
      return 0;
    case 'reset':
      await reset();
      console.log('stack data deleted');
      return 0;
    case undefined:
    default:
      console.error(usage);
      return command === undefined || command === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`stack: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
