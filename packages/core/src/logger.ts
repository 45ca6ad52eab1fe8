/**
 * The logger TrackOps components write to: pino's method signature (`logger.info(obj, msg)`),
 * so a pino logger (or a child of one) can be passed as is.
 */
export interface Logger {
  debug(object: Record<string, unknown>, message?: string): void;
  info(object: Record<string, unknown>, message?: string): void;
  warn(object: Record<string, unknown>, message?: string): void;
  error(object: Record<string, unknown>, message?: string): void;
}

/** The default: components are quiet unless the caller passes a logger. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
