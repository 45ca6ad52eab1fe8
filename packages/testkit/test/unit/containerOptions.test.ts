import { describe, expect, it } from 'vitest';
import { resolveContainerOptions } from '../../src/containerOptions.js';

describe('the images and heaps startContainers uses', () => {
  it('takes options first, then the environment (an empty variable counts as unset), then the defaults', () => {
    expect(
      resolveContainerOptions(
        { images: { postgres: 'postgres:16' }, heaps: { connect: '-Xmx1g' } },
        {
          TRACKOPS_POSTGRES_IMAGE: 'postgres:14',
          TRACKOPS_CONNECT_IMAGE: 'mirror/debezium/connect:3.2.7.Final',
          TRACKOPS_KAFKA_IMAGE: '',
          TRACKOPS_KAFKA_HEAP: '-Xmx256m',
        },
      ),
    ).toEqual({
      images: {
        postgres: 'postgres:16',
        redis: 'redis:7',
        kafka: 'apache/kafka:3.9.1',
        connect: 'mirror/debezium/connect:3.2.7.Final',
      },
      heaps: { kafka: '-Xmx256m', connect: '-Xmx1g' },
    });
  });

  it('names a bad option', () => {
    expect(() => resolveContainerOptions({ images: { redis: '' } }, {})).toThrow(
      /invalid startContainers options: images\.redis: /,
    );
  });
});
