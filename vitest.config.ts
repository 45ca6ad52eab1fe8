import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';

// Tests import @trackops/* packages by name; this condition resolves them to `src/index.ts`
// (see the `exports` of each package), so no test ever needs a build.
const sourceCondition = '@trackops/source';

/**
 * Integration tests run against real servers. A skipped one would hide a missing server or a
 * forgotten `.skip` behind a green run, so any skipped or todo integration test fails the run.
 */
/** scripts/test.sh sets TRACKOPS_TEST_REPORT to sum the whole run up in one closing line. */
const reportFile = process.env['TRACKOPS_TEST_REPORT'];
const jsonReport: Array<['json', { outputFile: string }]> = reportFile
  ? [['json', { outputFile: reportFile }]]
  : [];

const failOnSkippedIntegrationTests: Reporter = {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const skipped: string[] = [];
    for (const testModule of testModules) {
      if (testModule.project.name === 'unit') continue;
      for (const test of testModule.children.allTests()) {
        if (test.result().state === 'skipped') {
          skipped.push(`${testModule.moduleId} > ${test.fullName}`);
        }
      }
    }
    if (skipped.length > 0) {
      console.error(
        `\nIntegration tests must not be skipped. Skipped (${skipped.length}):\n  ${skipped.join('\n  ')}\n`,
      );
      process.exitCode = 1;
    }
  },
};

export default defineConfig({
  // Tests run in Node, where Vite resolves imports with its SSR settings; setting `conditions`
  // replaces Vite's defaults, so they are spread back in.
  ssr: {
    resolve: {
      conditions: [sourceCondition, ...defaultServerConditions],
    },
  },
  test: {
    reporters: ['default', failOnSkippedIntegrationTests, ...jsonReport],
    // Global in vitest 3 (not settable per project): the integration servers share a 2-core
    // machine, so at most two test files run at once.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/test/unit/**/*.test.ts',
            'packages/*/**/*.test-d.ts',
            // The guides' and READMEs' code blocks, type-checked (docs/test/checkSnippets.ts).
            'docs/test/**/*.test.ts',
          ],
          // Type-level tests (`*.test-d.ts`) are checked by `pnpm typecheck`; here they only run.
          typecheck: { enabled: false },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'packages/*/test/integration/**/*.test.ts',
            'examples/*/test/**/*.test.ts',
            'infra/test/**/*.test.ts',
          ],
          globalSetup: ['infra/test-support/globalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          allowOnly: false,
        },
      },
      {
        extends: true,
        test: {
          // The packages as users get them: built, packed, installed with npm outside the
          // workspace, then imported, type-checked and run against the stack; and the release
          // flow (`changeset version`) on a copy of the workspace. scripts/test.sh runs it after
          // the integration project.
          name: 'packaging',
          include: ['test/packaging/**/*.test.ts'],
          globalSetup: ['infra/test-support/globalSetup.ts'],
          testTimeout: 240_000,
          hookTimeout: 600_000,
          pool: 'forks',
          allowOnly: false,
        },
      },
      {
        extends: true,
        test: {
          // Tests that stop and restart a shared server (Kafka, PostgreSQL, Redis). They run
          // after the integration project, one file at a time (scripts/test.sh passes
          // --no-file-parallelism), so no other test sees the outage.
          name: 'disruptive',
          include: ['packages/*/test/disruptive/**/*.test.ts'],
          globalSetup: ['infra/test-support/globalSetup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          allowOnly: false,
        },
      },
    ],
  },
});
