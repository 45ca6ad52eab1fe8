/**
 * The key under which the global setup provides the endpoints to the test files (vitest's
 * `provide` / `inject`).
 *
 * Not declared in vitest's `ProvidedContext` through module augmentation: the augmentation
 * would leak into every user's `ProvidedContext`, and the declaration build does not carry it
 * reliably. The two call sites cast instead.
 */
export const providedStackKey = 'trackopsStack';
