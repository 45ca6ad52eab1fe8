import { z } from 'zod';

/** The deadline every assertion shares, in milliseconds. */
export const within = z.number().int().nonnegative().default(10_000);

/** The fields of the assertions that read a topic, checked at run time. */
export const topicWatchFields = {
  topic: z.string().min(1),
  within,
  fromBeginning: z.boolean().default(true),
};

/** A `where` condition: a predicate or a partial object (see `Where`). */
export const where = z
  .custom<unknown>(
    (value) => typeof value === 'function' || (typeof value === 'object' && value !== null),
    {
      message: 'must be a predicate function or a partial object to match',
    },
  )
  .optional();
