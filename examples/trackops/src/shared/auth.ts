import { jwtVerify, SignJWT } from 'jose';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Roles a bearer token can carry. `customer` places and cancels orders; `admin` may do every
 * write (status changes, inventory, relay operations).
 */
export type Role = 'customer' | 'admin';

const encoder = new TextEncoder();

/** Signs a development token (HS256) — what the demo prints. */
export function issueToken(
  secret: string,
  role: Role,
  subject = 'demo',
  expiresIn = '12h',
): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(encoder.encode(secret));
}

/**
 * A preHandler that admits a request only with `Authorization: Bearer <jwt>` signed with
 * `secret` whose `role` is one of `roles`: 401 without a valid token, 403 with another role.
 */
export function requireRole(secret: string, roles: readonly Role[]) {
  const key = encoder.encode(secret);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (!token) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'a bearer token is required for writes (Authorization: Bearer <jwt>)',
      });
      return;
    }
    let role: unknown;
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      role = payload['role'];
    } catch (error) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer error="invalid_token"')
        .send({
          statusCode: 401,
          error: 'Unauthorized',
          message: `invalid bearer token: ${(error as Error).message}`,
        });
      return;
    }
    if (typeof role !== 'string' || !roles.includes(role as Role)) {
      await reply.code(403).send({
        statusCode: 403,
        error: 'Forbidden',
        message: `role ${JSON.stringify(role ?? null)} may not do this; needs ${roles.join(' or ')}`,
      });
    }
  };
}
