/**
 * Type-checks documentation snippets against the workspace packages, the way an application
 * that installed them would compile them.
 *
 * Every snippet becomes an in-memory module (nothing is written to disk) placed in the reference
 * app's folder, `examples/trackops`: that package depends on every TrackOps package and on the
 * libraries a user installs next to them (kafkajs, pg, ioredis, zod, prom-client, pino), so bare
 * imports resolve as they do in an application, and `@trackops/*` resolve to their sources
 * through the `@trackops/source` condition of `tsconfig.base.json`, whose settings (strict,
 * NodeNext, ES2022 with top-level await) every snippet is compiled with. All snippets share one
 * program, so the packages are checked once.
 */
import path from 'node:path';
import ts from 'typescript';
import type { Snippet } from './extractSnippets.js';

/**
 * Names any snippet may use without declaring them: the connections and the abort signal an
 * application creates once and passes to every TrackOps component. A snippet that declares one
 * itself (`const pool = new pg.Pool(…)`) shadows it.
 */
export const snippetGlobals = `
declare const pool: import('pg').Pool;
declare const kafka: import('kafkajs').Kafka;
declare const redis: import('ioredis').Redis;
declare const signal: AbortSignal;
`;

/** A compiler error in a snippet, located on its markdown page. */
export interface SnippetProblem {
  /** The markdown page. */
  readonly file: string;
  /** 1-based line of the page, or of the block's first code line for an error in hidden setup. */
  readonly line: number;
  /** `TS<code>: <message>`, prefixed with `(in the hidden setup)` when it lies there. */
  readonly message: string;
}

/** Where the checker finds the repository. */
export interface CheckSnippetsOptions {
  /** The repository root: the folder of `tsconfig.base.json` and `examples/trackops`. */
  readonly root: string;
}

function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = path.join(root, 'tsconfig.base.json');
  const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  if (config.error) {
    throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  }
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, { noEmit: true });
  return parsed.options;
}

/**
 * Compiles every snippet and returns its errors (none when all compile).
 *
 * @param snippets - Snippets from {@link extractSnippets}.
 * @param options - Where the repository is.
 */
export function checkSnippets(
  snippets: readonly Snippet[],
  options: CheckSnippetsOptions,
): SnippetProblem[] {
  const folder = path.join(options.root, 'examples', 'trackops', '.snippets');
  const sources = new Map<string, { readonly snippet: Snippet; readonly setupLines: number }>();
  const texts = new Map<string, string>([[path.join(folder, 'globals.d.ts'), snippetGlobals]]);
  snippets.forEach((snippet, index) => {
    const fileName = path.join(folder, `snippet${index}.ts`);
    const setupLines = snippet.setup === '' ? 0 : snippet.setup.split('\n').length;
    sources.set(fileName, { snippet, setupLines });
    texts.set(fileName, setupLines === 0 ? snippet.code : `${snippet.setup}\n${snippet.code}`);
  });

  const settings = compilerOptions(options.root);
  const base = ts.createCompilerHost(settings, true);
  const host: ts.CompilerHost = {
    ...base,
    fileExists: (file) => texts.has(file) || base.fileExists(file),
    readFile: (file) => texts.get(file) ?? base.readFile(file),
    directoryExists: (dir) => dir === folder || (base.directoryExists?.(dir) ?? true),
    getSourceFile: (file, language, onError, shouldCreate) => {
      const text = texts.get(file);
      return text === undefined
        ? base.getSourceFile(file, language, onError, shouldCreate)
        : ts.createSourceFile(file, text, language, true);
    },
  };
  const program = ts.createProgram([...texts.keys()], settings, host);

  const describe = (diagnostic: ts.Diagnostic): string =>
    `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  // Problems of the settings or of the shared globals concern every snippet: report them once.
  const globals = program.getSourceFile(path.join(folder, 'globals.d.ts'));
  const problems: SnippetProblem[] = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSemanticDiagnostics(globals),
  ].map((diagnostic) => ({
    file: 'docs/test/checkSnippets.ts',
    line: 1,
    message: describe(diagnostic),
  }));
  for (const [fileName, { snippet, setupLines }] of sources) {
    const sourceFile = program.getSourceFile(fileName)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile),
    ];
    for (const diagnostic of diagnostics) {
      const text = describe(diagnostic);
      const at =
        diagnostic.file === sourceFile && diagnostic.start !== undefined
          ? sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line
          : setupLines;
      problems.push(
        at < setupLines
          ? { file: snippet.file, line: snippet.line, message: `(in the hidden setup) ${text}` }
          : { file: snippet.file, line: snippet.line + at - setupLines, message: text },
      );
    }
  }
  return problems;
}
