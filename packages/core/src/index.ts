/**
 * The small runtime shared by the TrackOps packages. Nothing domain-specific lives here.
 *
 * For now it holds the error base class that every TrackOps package derives its errors from.
 *
 * @packageDocumentation
 */

export { TrackOpsError, isTrackOpsError } from './errors.js';
export type { TrackOpsErrorOptions } from './errors.js';
