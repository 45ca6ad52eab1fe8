import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSnippets, type SnippetProblem } from './checkSnippets.js';
import { extractSnippets } from './extractSnippets.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every page a user reads code from: the root README, the guides and the package READMEs. */
function documentationPages(): string[] {
  const guides = readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.md') && !file.startsWith(`api${path.sep}`))
    .map((file) => path.join('docs', file));
  const readmes = readdirSync(path.join(root, 'packages'))
    .map((name) => path.join('packages', name, 'README.md'))
    .filter((readme) => existsSync(path.join(root, readme)));
  return ['README.md', ...guides, ...readmes].sort();
}

const format = (problem: SnippetProblem): string =>
  `${problem.file}:${problem.line}: ${problem.message}`;

describe('documentation snippets', () => {
  const pages = documentationPages();
  const snippets = pages.flatMap((page) =>
    extractSnippets(page, readFileSync(path.join(root, page), 'utf8')),
  );

  it('finds the TypeScript blocks of every guide and package README that shows code', () => {
    const withCode = new Set(snippets.map((snippet) => snippet.file));
    for (const page of [
      'packages/core/README.md',
      'packages/outbox/README.md',
      'packages/cdc/README.md',
      'packages/saga/README.md',
      'packages/cache/README.md',
      'docs/guides/concepts.md',
      'docs/guides/getting-started.md',
      'docs/guides/migrating.md',
      'docs/guides/operations.md',
    ]) {
      expect(withCode, page).toContain(page);
    }
  });

  it('compiles every TypeScript block of the guides and package READMEs', () => {
    expect(checkSnippets(snippets, { root }).map(format)).toEqual([]);
  }, 120_000);
});

describe('the snippet check', () => {
  it('reports a snippet that does not compile, with its page and line', () => {
    const page = [
      '# A guide',
      '',
      '```ts',
      "import { createRelay } from '@trackops/outbox';",
      '',
      "const relay = createRelay({ pool, kafka, batchSize: 'many' });",
      '```',
    ].join('\n');
    const problems = checkSnippets(extractSnippets('guide.md', page), { root });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'guide.md', line: 6 });
    expect(problems[0]!.message).toMatch(
      /^TS2322: Type 'string' is not assignable to type 'number/,
    );
  }, 120_000);

  it('adds hidden setup, continues the previous block and ignores other languages', () => {
    const page = [
      '```sh',
      'npm install @trackops/outbox',
      '```',
      '<!-- ts-setup',
      'declare const orderId: string;',
      '-->',
      '```ts',
      'const key = orderId;',
      '```',
      '',
      '- In a list:',
      '  <!-- ts-continue -->',
      '  ```typescript',
      '  const again = key;',
      '  ```',
    ].join('\n');
    expect(extractSnippets('guide.md', page)).toEqual([
      {
        file: 'guide.md',
        line: 8,
        code: 'const key = orderId;',
        setup: 'declare const orderId: string;',
      },
      {
        file: 'guide.md',
        line: 14,
        code: 'const again = key;',
        setup: 'declare const orderId: string;\nconst key = orderId;',
      },
    ]);
  });

  it('locates an error in hidden setup on the block it belongs to', () => {
    const page = [
      '<!-- ts-setup',
      'declare const n: number = 1;',
      '-->',
      '```ts',
      'n;',
      '```',
    ].join('\n');
    const [problem] = checkSnippets(extractSnippets('guide.md', page), { root });
    expect(problem).toMatchObject({ file: 'guide.md', line: 5 });
    expect(problem!.message).toMatch(/^\(in the hidden setup\) TS1039/);
  }, 120_000);

  it('refuses a page whose fence is never closed, rather than checking less than it shows', () => {
    expect(() => extractSnippets('guide.md', '```ts\nconst a = 1;\n')).toThrow(
      'guide.md:1: the code fence is never closed',
    );
    expect(() => extractSnippets('guide.md', '<!-- ts-continue -->\n```ts\n```')).toThrow(
      'guide.md:2: ts-continue, but no TypeScript block before it',
    );
  });
});
