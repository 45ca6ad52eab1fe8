/**
 * The text Debezium puts in place of a TOASTed column that an update left unchanged (its
 * default `unavailable.value.placeholder`): PostgreSQL does not send such values to logical
 * decoding under `REPLICA IDENTITY DEFAULT`.
 */
export const UNAVAILABLE_PLACEHOLDER = '__debezium_unavailable_value';

// For a bytea column Debezium sends the placeholder's bytes, so base64 or hex of them.
const placeholderBase64 = Buffer.from(UNAVAILABLE_PLACEHOLDER, 'utf8').toString('base64');
const placeholderHex = Buffer.from(UNAVAILABLE_PLACEHOLDER, 'utf8').toString('hex');

/**
 * The type of {@link UNAVAILABLE}: a column value PostgreSQL did not send (an unchanged TOAST
 * value). It is not the column's value — keep the one you have.
 */
export interface Unavailable {
  /** Always `'unavailable'`, so the marker reads clearly when logged. */
  readonly kind: 'unavailable';
  /** `'__debezium_unavailable_value'`: the placeholder Debezium sent. */
  toString(): string;
  /** `'__debezium_unavailable_value'`, so `JSON.stringify` of a row keeps the placeholder text. */
  toJSON(): string;
}

/**
 * Stands for a column whose value PostgreSQL did not send: an update under
 * `REPLICA IDENTITY DEFAULT` that left an out-of-line (TOASTed) value unchanged. Debezium writes
 * the text `__debezium_unavailable_value` there; the decoder replaces it with this one frozen
 * object, so it can never be mistaken for (or stored as) the column's text.
 *
 * @example
 * ```ts
 * if (event.op === 'u' && !isUnavailable(event.after.notes)) cache.set(id, event.after.notes);
 * ```
 */
export const UNAVAILABLE: Unavailable = Object.freeze({
  kind: 'unavailable' as const,
  toString: () => UNAVAILABLE_PLACEHOLDER,
  toJSON: () => UNAVAILABLE_PLACEHOLDER,
});

/**
 * Tells whether a decoded column value is {@link UNAVAILABLE}.
 *
 * @param value - A decoded column value.
 * @returns `true` for the unavailable-value marker, narrowing `value` to {@link Unavailable}.
 */
export function isUnavailable(value: unknown): value is Unavailable {
  return value === UNAVAILABLE;
}

/** Whether a raw text value (text, varchar, json, …) is Debezium's placeholder. @internal */
export function isTextPlaceholder(raw: unknown): boolean {
  return raw === UNAVAILABLE_PLACEHOLDER;
}

/** Whether a raw bytea value (base64, or hex in `binary.handling.mode=hex`) is the placeholder. @internal */
export function isBytesPlaceholder(raw: unknown): boolean {
  return raw === placeholderBase64 || raw === placeholderHex;
}

/** Whether a raw array value is the placeholder: Debezium sends a one-element array of it. @internal */
export function isArrayPlaceholder(raw: unknown): boolean {
  return Array.isArray(raw) && raw.length === 1 && raw[0] === UNAVAILABLE_PLACEHOLDER;
}
