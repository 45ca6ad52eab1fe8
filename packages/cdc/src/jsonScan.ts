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
 * The scan jumps from quote to quote with `indexOf` (native, fast) and looks at characters only
 * between strings, and only where that stretch is long enough to hold a 16-digit literal: in
 * compact JSON that is almost never.
 *
 * @internal
 */
export function quoteBigIntegers(text: string): QuotedText | undefined {
  return quoteObjectMemberIntegers(text) ?? quoteByWalkingStrings(text);
}

// Long digit runs, found by the regex engine rather than a loop over every character.
const longDigitRun = /\d{16,}/g;
const COLON = 0x3a;
const QUOTE = 0x22;

/**
 * The fast path: finds runs of 16 or more digits with a native regex and quotes the unsafe
 * integers among them, provided every run sits where only a number can: right after the
 * `":` that ends an object key (the quote not escaped), optionally with a minus. That is
 * where Debezium puts its big integers (`"ts_ns":…`, int64 columns), and a digit run inside a
 * string can never follow an unescaped `":`. Any other run — in an array, after whitespace, or
 * inside a string — might be either, so the fast path gives up (`undefined`) and the caller
 * walks the strings instead.
 */
function quoteObjectMemberIntegers(text: string): QuotedText | undefined {
  let out = '';
  let copied = 0;
  let count = 0;
  longDigitRun.lastIndex = 0;
  for (let match = longDigitRun.exec(text); match !== null; match = longDigitRun.exec(text)) {
    const start = match.index;
    const stop = start + match[0].length;
    const literalStart = text.charCodeAt(start - 1) === MINUS ? start - 1 : start;
    if (
      text.charCodeAt(literalStart - 1) !== COLON ||
      text.charCodeAt(literalStart - 2) !== QUOTE ||
      isEscaped(text, literalStart - 2)
    ) {
      return undefined;
    }
    if (!isUnsafeInteger(text, start, stop)) continue;
    out += `${text.slice(copied, literalStart)}"\\u0000${text.slice(literalStart, stop)}"`;
    copied = stop;
    count++;
  }
  if (count === 0) return { text, count: 0 };
  if (text.includes('\\u0000')) return undefined;
  return { text: out + text.slice(copied), count };
}

/** The careful path: jumps from string to string and looks only between them. */
function quoteByWalkingStrings(text: string): QuotedText | undefined {
  const length = text.length;
  let out = '';
  let copied = 0;
  let count = 0;
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
        out += `${text.slice(copied, literalStart)}"\\u0000${text.slice(literalStart, stop)}"`;
        copied = stop;
        count++;
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
  if (count === 0) return { text, count: 0 };
  if (text.includes('\\u0000')) return undefined;
  return { text: out + text.slice(copied), count };
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
