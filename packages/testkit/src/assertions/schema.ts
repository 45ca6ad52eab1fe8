/** One problem a schema found: what is wrong, and where in the value. */
export interface SchemaIssue {
  /** What is wrong. */
  readonly message: string;
  /** Where: property names and indices from the root, plain or as `{ key }` segments. */
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** What a schema's `validate` returns: the value it produced, or the issues. */
export type SchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<SchemaIssue> };

/**
 * A schema a value is checked and typed with: any [Standard Schema](https://standardschema.dev)
 * (version 1), which zod (3.24 and later, and 4), valibot and ArkType schemas all are. Only the
 * parts of the standard the test kit uses are spelled out here; taking the standard rather than
 * zod's own type keeps your zod version independent of the test kit's.
 *
 * @typeParam Output - What the schema produces when it accepts a value.
 */
export interface AnySchema<Output = unknown> {
  /** The standard's properties. */
  readonly '~standard': {
    /** The standard's version. */
    readonly version: 1;
    /** The library that made the schema (`'zod'` …). */
    readonly vendor: string;
    /** Checks a value. */
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    /** Carries the input and output types, for inference only. */
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined;
  };
}

/** The value a schema produces when it accepts its input. */
export type SchemaOutput<S extends AnySchema> = S extends AnySchema<infer Output> ? Output : never;

/** Whether `value` is a Standard Schema (as opposed to a plain object to match). */
export function isSchema(value: unknown): value is AnySchema {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AnySchema>)['~standard']?.validate === 'function'
  );
}

/** How many of a failure's issues a one-line summary names before counting the rest. */
const SHOWN_ISSUES = 3;

function pathText(issue: SchemaIssue): string {
  const segments = (issue.path ?? []).map((segment) =>
    typeof segment === 'object' ? String(segment.key) : String(segment),
  );
  return segments.length > 0 ? segments.join('.') : '(value)';
}

/** The outcome of {@link validateWith}: the typed value, or why it was rejected in one line. */
export type Validation<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Runs a schema (sync or async) and sums a rejection up as `path: message` per issue, the first
 * few of them, so a timeout message can say why each record failed in a line.
 */
export async function validateWith<S extends AnySchema>(
  schema: S,
  value: unknown,
): Promise<Validation<SchemaOutput<S>>> {
  const result = await schema['~standard'].validate(value);
  if (result.issues === undefined) return { ok: true, value: result.value as SchemaOutput<S> };
  const shown = result.issues
    .slice(0, SHOWN_ISSUES)
    .map((issue) => `${pathText(issue)}: ${issue.message}`);
  const more = result.issues.length - shown.length;
  return {
    ok: false,
    problem: `${shown.join('; ')}${more > 0 ? ` (+${more} more issue${more > 1 ? 's' : ''})` : ''}`,
  };
}
