/** One component the service needs, and how to check it. */
export interface HealthCheck {
  name: string;
  check: () => Promise<Record<string, unknown> | void>;
}

/** The health document: UP only when every component is. */
export interface Health {
  status: 'UP' | 'DOWN';
  components: Record<
    string,
    { status: 'UP' | 'DOWN'; details?: Record<string, unknown>; error?: string }
  >;
}

/** Runs the checks concurrently, each bounded by `timeoutMs`. */
export async function checkHealth(
  checks: readonly HealthCheck[],
  timeoutMs = 2000,
): Promise<Health> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        const details: Record<string, unknown> | void = await Promise.race([
          check(),
          new Promise<never>((_, reject) =>
            setTimeout(
              () => reject(new Error(`no answer within ${timeoutMs} ms`)),
              timeoutMs,
            ).unref(),
          ),
        ]);
        return [name, { status: 'UP' as const, ...(details ? { details } : {}) }] as const;
      } catch (error) {
        return [name, { status: 'DOWN' as const, error: (error as Error).message }] as const;
      }
    }),
  );
  const components: Health['components'] = {};
  for (const [name, result] of results) components[name] = result;
  return {
    status: results.every(([, result]) => result.status === 'UP') ? 'UP' : 'DOWN',
    components,
  };
}
