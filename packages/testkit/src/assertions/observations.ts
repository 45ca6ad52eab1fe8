/** How many rejected records or rows a failure message lists one by one. */
const LISTED = 20;

/**
 * What an assertion saw and why each thing it saw did not match, for the message it fails with:
 * a count, then one line per item (the first {@link LISTED} of them).
 */
export class Observations {
  private readonly lines: string[] = [];
  private seen = 0;

  /** Records one item that did not match, and why. */
  reject(what: string, why: string): void {
    this.seen += 1;
    if (this.lines.length < LISTED) this.lines.push(`${what}: ${why}`);
  }

  /** `headline; N <noun>(s) seen, none matched:` and the list. */
  describe(headline: string, noun: string): string {
    if (this.seen === 0) return `${headline}; no ${noun} seen at all`;
    const unlisted = this.seen - this.lines.length;
    return [
      `${headline}; ${this.seen} ${noun}(s) seen, none matched:`,
      ...this.lines,
      ...(unlisted > 0 ? [`… and ${unlisted} more`] : []),
    ].join('\n  ');
  }
}
