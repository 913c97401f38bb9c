import type { RunOutput } from '../core/index.js';
import { isJsonMime } from './extract.js';

/** A response as a Run's output: JSON parsed, text as text, anything else base64. */
export function toOutput(status: number, contentType: string, body: Buffer): RunOutput {
  if (isJsonMime(contentType)) {
    try {
      return { status, contentType, body: JSON.parse(body.toString('utf8')) };
    } catch {
      return { status, contentType, body: body.toString('utf8') };
    }
  }
  if (contentType === '' || contentType.startsWith('text/') || /xml|javascript|x-www-form-urlencoded/.test(contentType)) {
    return { status, contentType, body: body.toString('utf8') };
  }
  return { status, contentType, body: body.toString('base64') };
}
