import type { RequestHandler } from 'express';
import { newId, withContext } from '../../core/index.js';

const VALID_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every request an id (an incoming X-Request-Id when it is sane, else a new one), echoes it
 * in the response, and runs the rest of the chain inside that context so every log line has it.
 */
export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && VALID_ID.test(incoming) ? incoming : newId('req');
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    withContext({ requestId }, () => next());
  };
}
