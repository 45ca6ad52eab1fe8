const NANOS_PER_MICRO = 1000n;
const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_DAY = 86_400_000_000_000n;

/**
 * A PostgreSQL `timestamp` (without time zone) from Debezium's `MicroTimestamp` (or
 * `Timestamp` / `NanoTimestamp`): the wall-clock reading, which Debezium encodes as if it were
 * UTC. It keeps the exact count, so no microsecond is lost to a JavaScript `Date` (which holds
 * milliseconds), and the ISO text for display.
 *
 * @example
 * ```ts
 * const at = event.after.created_at; // Timestamp
 * at.iso;          // '2024-02-29T23:59:59.123456' (no zone: it is a wall-clock reading)
 * at.epochMicros;  // 1709251199123456n
 * at.toDate();     // Date at 2024-02-29T23:59:59.123Z (milliseconds only)
 * ```
 */
export class Timestamp {
  /** Nanoseconds since 1970-01-01T00:00:00 of the wall clock; exact for every Debezium encoding. */
  readonly epochNanos: bigint;

  /**
   * ISO-8601 date and time without a zone, fraction trimmed as PostgreSQL prints it:
   * `2024-02-29T23:59:59.123456`, `1900-01-01T00:00:00.000001`, `2024-01-01T00:00:00`.
   */
  readonly iso: string;

  /**
   * @param epochNanos - Nanoseconds since 1970-01-01T00:00:00 of the wall clock.
   */
  constructor(epochNanos: bigint) {
    this.epochNanos = epochNanos;
    const days = floorDiv(epochNanos, NANOS_PER_DAY);
    this.iso = `${formatDate(Number(days))}T${formatTimeOfDay(epochNanos - days * NANOS_PER_DAY)}`;
  }

  /** Microseconds since the epoch: what `MicroTimestamp` carried (rounded down below that). */
  get epochMicros(): bigint {
    return floorDiv(this.epochNanos, NANOS_PER_MICRO);
  }

  /** Milliseconds since the epoch, rounded down: what a `Date` can hold. */
  get epochMillis(): number {
    return Number(floorDiv(this.epochNanos, NANOS_PER_MILLI));
  }

  /** A `Date` at this wall-clock reading taken as UTC, to the millisecond. */
  toDate(): Date {
    return new Date(this.epochMillis);
  }

  /** The {@link Timestamp.iso} text. */
  toString(): string {
    return this.iso;
  }

  /** The {@link Timestamp.iso} text, so rows serialise to JSON. */
  toJSON(): string {
    return this.iso;
  }
}

/** Floor division of bigints (rounds towards minus infinity, unlike `/`). @internal */
export function floorDiv(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  return dividend % divisor < 0n ? quotient - 1n : quotient;
}

/** `YYYY-MM-DD` of a count of days since 1970-01-01 (negative before). @internal */
export function formatDate(epochDays: number): string {
  // Years 1–9999 by arithmetic: `Date#toISOString` costs more than the rest of a date column's
  // decoding. Other years (ISO's expanded `+YYYYYY` / `-YYYYYY` form, and out-of-range counts)
  // keep the Date path, so both give the same text.
  if (Number.isInteger(epochDays) && epochDays >= minFastDays && epochDays <= maxFastDays) {
    return civilDate(epochDays);
  }
  const date = new Date(epochDays * 86_400_000);
  if (Number.isNaN(date.getTime())) throw new RangeError(`date out of range: ${epochDays} days`);
  // Drops `THH:MM:SS.sssZ`; years beyond 9999 keep ISO's expanded `+YYYYYY` form.
  return date.toISOString().slice(0, -14);
}

// 0001-01-01 and 9999-12-31 in days since 1970-01-01.
const minFastDays = -719_162;
const maxFastDays = 2_932_896;

/**
 * Howard Hinnant's `civil_from_days` (proleptic Gregorian, as `Date` is) for days since the
 * epoch within years 1–9999: eras of 400 years, March-based years so leap days come last.
 */
function civilDate(epochDays: number): string {
  const z = epochDays + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/**
 * `HH:MM:SS[.fraction]` of nanoseconds since midnight, the fraction trimmed of trailing zeros
 * as PostgreSQL prints it; `24:00:00` (which PostgreSQL's `time` allows) stays `24:00:00`.
 *
 * @internal
 */
export function formatTimeOfDay(nanosOfDay: bigint): string {
  const seconds = nanosOfDay / 1_000_000_000n;
  const fraction = nanosOfDay % 1_000_000_000n;
  const hours = seconds / 3600n;
  const minutes = (seconds / 60n) % 60n;
  const text = `${pad2(Number(hours))}:${pad2(Number(minutes))}:${pad2(Number(seconds % 60n))}`;
  if (fraction === 0n) return text;
  return `${text}.${String(fraction).padStart(9, '0').replace(/0+$/, '')}`;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
