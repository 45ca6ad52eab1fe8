/**
 * Every record of every captured fixture decodes, to the kind (and op) the fixture shows.
 */
import { describe, expect, it } from 'vitest';
import { createDecoder, decodeOutboxRecord, type DecodedRecord } from '@trackops/cdc';
import { fixtureFiles, load, type FixtureFile } from './support/fixtures.js';

const decoder = createDecoder();

function summary(event: DecodedRecord): string {
  switch (event.kind) {
    case 'change':
      return `${event.op}`;
    case 'message':
      return 'm';
    case 'tombstone':
      return 'tombstone';
    case 'heartbeat':
      return 'heartbeat';
    case 'transaction':
      return event.status;
    case 'unwrapped':
      return `unwrapped ${event.op ?? '?'}${event.deleted ? ' deleted' : ''}`;
  }
}

const wide = ['r', 'r', 'c', 'c', 'c', 'u', 'd', 'tombstone'];
const operations = [
  'r',
  'r',
  'c',
  'u',
  'd',
  'tombstone',
  'c',
  'd',
  'tombstone',
  'c',
  't',
  'm',
  'm',
];
const replicaIdentity = ['u', 'u', 'd', 'tombstone'];

// Records are ordered by topic, then offset (test/fixtures/README.md).
const expected: Record<Exclude<FixtureFile, `outbox-${string}`>, string[]> = {
  'wide-types.schemas-false': wide,
  'wide-types.schemas-true': wide,
  'wide-types.string-modes': wide,
  'operations.schemas-false': operations,
  'operations.schemas-true': operations,
  'replica-identity-default': replicaIdentity,
  'replica-identity-full': replicaIdentity,
  'unwrap-default': [
    'unwrapped c',
    'unwrapped c',
    'unwrapped u',
    'unwrapped d deleted',
    'unwrapped c',
    'unwrapped d deleted',
  ],
  'unwrap-rewrite': [
    'unwrapped c',
    'unwrapped c',
    'unwrapped u',
    'unwrapped d deleted',
    'unwrapped c',
    'unwrapped d deleted',
  ],
  'transaction-metadata': ['c', 'c', 'u', 'c', 'BEGIN', 'END', 'BEGIN', 'END'],
  heartbeat: ['c', 'heartbeat', 'heartbeat', 'heartbeat'],
};

describe('every fixture record decodes', () => {
  it('covers every fixture file', () => {
    expect([...Object.keys(expected), 'outbox-default', 'outbox-expanded'].sort()).toEqual(
      [...fixtureFiles].sort(),
    );
  });

  it.each(Object.entries(expected))('%s', (file, kinds) => {
    const fixture = load(file as FixtureFile);
    expect(fixture.records.map((record) => summary(decoder.decode(record)))).toEqual(kinds);
  });

  it.each(['outbox-default', 'outbox-expanded'] as const)('%s (Outbox Event Router)', (file) => {
    const fixture = load(file);
    for (const record of fixture.records) {
      expect(decodeOutboxRecord(record).kind).toBe('outbox');
    }
  });
});
