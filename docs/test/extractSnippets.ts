/**
 * Finds the TypeScript code blocks of a markdown page, with the hidden setup each one asks for.
 *
 * A block opens with a fence of three or more backticks or tildes whose language is `ts` or
 * `typescript`; other languages (`sh`, `json`, `sql` …) are not checked. An HTML comment that
 * ends right before the fence (a blank line between them is allowed; the comment is invisible on
 * the rendered page) adds hidden code:
 *
 * - `<!-- ts-setup … -->`: the lines after `ts-setup` are compiled before the block;
 * - `<!-- ts-continue … -->`: the previous TypeScript block of the page (with its own setup) is
 *   compiled before the block, then any lines after `ts-continue`.
 *
 * See docs/guides/writing-docs.md for the convention as writers use it.
 */

/** One TypeScript code block of a markdown page. */
export interface Snippet {
  /** The page, as given (a repository-relative path in reports). */
  readonly file: string;
  /** 1-based line of the page that holds the block's first line of code. */
  readonly line: number;
  /** The block's code, its fence's indentation removed. */
  readonly code: string;
  /** Hidden code compiled before `code`: a continued block and setup lines, possibly empty. */
  readonly setup: string;
}

const fencePattern = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const typescriptLanguages = new Set(['ts', 'typescript']);
const directivePattern = /^<!--\s*(ts-setup|ts-continue)\b([\s\S]*?)-->$/;

/**
 * Reads the hidden-code comment that ends just before line `fenceIndex`, if any.
 *
 * @returns The directive and its code lines, or `undefined` when the block has none.
 */
function directiveBefore(
  lines: readonly string[],
  fenceIndex: number,
): { readonly kind: 'ts-setup' | 'ts-continue'; readonly code: string } | undefined {
  // Prettier separates the comment from the fence with a blank line; more would be a typo.
  let end = fenceIndex - 1;
  if (end >= 0 && lines[end]!.trim() === '') end -= 1;
  if (end < 0 || !lines[end]!.trimEnd().endsWith('-->')) return undefined;
  let start = end;
  while (start >= 0 && !lines[start]!.trimStart().startsWith('<!--')) start -= 1;
  if (start < 0) return undefined;
  const comment = lines
    .slice(start, end + 1)
    .join('\n')
    .trim();
  const match = directivePattern.exec(comment);
  if (!match) return undefined;
  return { kind: match[1] as 'ts-setup' | 'ts-continue', code: match[2]!.trim() };
}

/**
 * Extracts every TypeScript block of a markdown page.
 *
 * @param file - The page's path, kept for reports.
 * @param markdown - The page's text.
 * @throws Error naming the page and line when a fence is never closed or a `ts-continue`
 *   block has no block before it: both would silently check less than the page shows.
 */
export function extractSnippets(file: string, markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = fencePattern.exec(lines[index]!);
    if (!open) continue;
    const [, indent = '', fence = '', language = ''] = open;
    const closing = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let close = index + 1;
    while (close < lines.length && !closing.test(lines[close]!)) close += 1;
    if (close >= lines.length) {
      throw new Error(`${file}:${index + 1}: the code fence is never closed`);
    }
    if (typescriptLanguages.has(language.toLowerCase())) {
      const code = lines
        .slice(index + 1, close)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
        .join('\n');
      const directive = directiveBefore(lines, index);
      let setup = directive?.code ?? '';
      if (directive?.kind === 'ts-continue') {
        const previous = snippets.at(-1);
        if (!previous) {
          throw new Error(`${file}:${index + 1}: ts-continue, but no TypeScript block before it`);
        }
        setup = [previous.setup, previous.code, setup].filter((part) => part !== '').join('\n');
      }
      snippets.push({ file, line: index + 2, code, setup });
    }
    index = close;
  }
  return snippets;
}
