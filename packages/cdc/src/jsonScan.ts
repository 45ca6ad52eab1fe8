/**
 * The scan behind the decoder's fast JSON parse (see `parseJson`): finds the integer literals
 * that `JSON.parse` would round and quotes them behind a sentinel, so that `JSON.parse` keeps
 * their digits.
 *
 * @module
 */

/**
 * The first character of a quoted big integer once parsed: NUL, written `\u0000` in the text.
 * JSON text cannot hold a raw NUL inside a string, so a parsed string can start with NUL only
 * if the text spells the escape `\u0000`; {@link quoteBigIntegers} refuses such texts.
 *
 * @internal
 */
export const BIG_INTEGER_SENTINEL = '\u0000';

/** A text with its big integer literals quoted, and how many there were. @internal */
export interface QuotedText {
  readonly text: string;
  readonly count: number;
}

// The longest safe integer has 16 digits; a literal needs at least that many to be unsafe.
const minDigits = 16;
const maxSafeDigits = String(Number.MAX_SAFE_INTEGER);

const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
// Where a number token can start (see startsToken).
const TOKEN_STARTERS = new Set([0x3a, 0x2c, 0x5b, 0x20, 0x09, 0x0a, 0x0d]); // : , [ space \t \n \r

/**
 * Scans JSON text once and returns it with every integer literal beyond
 * `Number.MAX_SAFE_INTEGER` (outside strings, no fraction, no exponent) replaced by a string:
 * the sentinel followed by the literal, e.g. `-9223372036854775808` becomes
 * `"\u0000-9223372036854775808"`. Everything else is left as it is, so `JSON.parse` of the
 * result gives what it gives for the original, big integers aside. Returns the text itself
 * (count 0) when there is nothing to quote, and `undefined` when the result could not be told
 * apart from the original (the text already spells the sentinel) or the text is plainly not
 * JSON (an unterminated string): the caller then takes its careful path.
 *
 * Exact, and slower than {@link quoteBigIntegersOptimistic}, which the decoder tries first: it
 * jumps from quote to quote with `indexOf` and looks for digits only between strings.
 *
 * @internal
 */
export function quoteBigIntegers(text: string): QuotedText | undefined {
  return quoteByWalkingStrings(text);
}

/**
 * The scan the decoder tries first. It finds every run of 16 or more digits by sampling one
 * character in 16 (any such run covers a sampled position) and widening around sampled digits,
 * so it reads a small part of the text — several times faster than the regex `/\d{16,}/`,
 * which cost a third of a `JSON.parse` of the same text. A run is a candidate where a number
 * token can start: after `:` (an object member), `,` or `[` (an array element) or JSON
 * whitespace, its minus included; the unsafe integers among the candidates are quoted as
 * {@link quoteBigIntegers} does. Runs elsewhere are fractions, exponents or string content.
 *
 * A candidate may also sit inside a string (`"id,12345678901234567890"`): the scan cannot tell,
 * and quotes it too. That is safe because it always breaks the text: the inserted `"` follows
 * a `:`, `,`, `[` or blank (never a backslash), so it ends the string, and the `\u0000` after
 * it then stands outside any string, where a backslash is never valid JSON. Earlier insertions
 * that were right replaced a number token by a string token and left the parser's state as it
 * was. So: if `JSON.parse` accepts the result, every insertion was a number token and the
 * result is exactly what {@link quoteBigIntegers} gives; if it throws, the caller must retry
 * with {@link quoteBigIntegers} before concluding that the text is not JSON.
 *
 * Returns `undefined` when the text starts with a number (nothing precedes it) or already
 * spells the sentinel.
 *
 * @internal
 */
export function quoteBigIntegersOptimistic(text: string): QuotedText | undefined {
  const first = text.charCodeAt(0);
  if (first === MINUS || isDigit(first)) return undefined;
  const length = text.length;
  const literals: number[] = [];
  for (let at = minDigits - 1; at < length; at += minDigits) {
    if (!isDigit(text.charCodeAt(at))) continue;
    let start = at;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let stop = at + 1;
    while (stop < length && isDigit(text.charCodeAt(stop))) stop++;
    // The next sample is 16 past the end of this run (the end itself is not a digit).
    at = stop;
    if (stop - start < minDigits) continue;
    const literalStart = text.charCodeAt(start - 1) === MINUS ? start - 1 : start;
    if (!startsToken(text.charCodeAt(literalStart - 1))) continue;
    if (isUnsafeInteger(text, start, stop)) literals.push(literalStart, stop);
  }
  return quoteLiterals(text, literals);
}

/**
 * The text with each literal `text[literals[i], literals[i + 1])` quoted behind the sentinel;
 * `undefined` when the text already spells the sentinel, so the result would be ambiguous.
 */
function quoteLiterals(text: string, literals: readonly number[]): QuotedText | undefined {
  if (literals.length === 0) return { text, count: 0 };
  if (text.includes('\\u0000')) return undefined;
  let out = '';
  let copied = 0;
  for (let index = 0; index < literals.length; index += 2) {
    const start = literals[index]!;
    const stop = literals[index + 1]!;
    out += `${text.slice(copied, start)}"\\u0000${text.slice(start, stop)}"`;
    copied = stop;
  }
  return { text: out + text.slice(copied), count: literals.length / 2 };
}

/** Whether a number token can start right after this character: `:`, `,`, `[` or a blank. */
function startsToken(code: number): boolean {
  return TOKEN_STARTERS.has(code);
}

/** The careful path: jumps from string to string and looks only between them. */
function quoteByWalkingStrings(text: string): QuotedText | undefined {
  const length = text.length;
  const literals: number[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf('"', from);
    const end = open === -1 ? length : open;
    if (end - from >= minDigits) {
      // Between strings: structure, literals and whitespace. Look for long digit runs.
      for (let at = from; at < end; at++) {
        const code = text.charCodeAt(at);
        if (code < ZERO || code > NINE) continue;
        let stop = at + 1;
        while (stop < end && isDigit(text.charCodeAt(stop))) stop++;
        const digits = stop - at;
        const start = at;
        at = stop;
        if (digits < minDigits || !isUnsafeInteger(text, start, stop)) continue;
        const literalStart = start > 0 && text.charCodeAt(start - 1) === MINUS ? start - 1 : start;
        literals.push(literalStart, stop);
      }
    }
    if (open === -1) break;
    // Skip the string: its closing quote is the next one not escaped by an odd number of
    // backslashes.
    let close = text.indexOf('"', open + 1);
    while (close !== -1 && isEscaped(text, close)) close = text.indexOf('"', close + 1);
    if (close === -1) return undefined;
    from = close + 1;
  }
  return quoteLiterals(text, literals);
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

function isEscaped(text: string, quote: number): boolean {
  let at = quote - 1;
  while (text.charCodeAt(at) === BACKSLASH) at--;
  return (quote - 1 - at) % 2 === 1;
}

/**
 * Whether the digits `text[start, stop)` are an integer literal (not part of a fraction or an
 * exponent) beyond `Number.MAX_SAFE_INTEGER` in magnitude. A leading zero makes the text invalid
 * JSON: it is left alone for `JSON.parse` to reject.
 */
function isUnsafeInteger(text: string, start: number, stop: number): boolean {
  const after = text.charCodeAt(stop);
  if (after === DOT || after === LOWER_E || after === UPPER_E) return false;
  if (text.charCodeAt(start) === ZERO) return false;
  const before = start > 0 ? text.charCodeAt(start - 1) : -1;
  if (before === DOT || before === LOWER_E || before === UPPER_E || before === PLUS) return false;
  if (before === MINUS) {
    const sign = start > 1 ? text.charCodeAt(start - 2) : -1;
    if (sign === LOWER_E || sign === UPPER_E) return false;
  }
  const digits = stop - start;
  if (digits > maxSafeDigits.length) return true;
  if (digits < maxSafeDigits.length) return false;
  // Same length: compare digit by digit (no allocation).
  for (let index = 0; index < digits; index++) {
    const difference = text.charCodeAt(start + index) - maxSafeDigits.charCodeAt(index);
    if (difference !== 0) return difference > 0;
  }
  return false;
}
