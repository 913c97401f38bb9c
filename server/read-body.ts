import type { Request } from 'express';
import { AppError } from '../core/index.js';

/**
 * Reads a raw request body up to `limit` bytes (a 413 past it, without buffering the rest).
 * Used for HAR uploads, which may be gzip-compressed and are decoded by the recorder.
 */
export async function readRawBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new AppError('payload_too_large', `Upload is ${declared} bytes; the limit is ${limit} bytes (HAR_LIMIT)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new AppError('payload_too_large', `Upload is larger than the limit of ${limit} bytes (HAR_LIMIT)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
