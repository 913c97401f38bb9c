import { Type, type Static } from '@sinclair/typebox';
import { httpUrl, nullable, stringEnum } from '../../core/index.js';
import { ActionListSchema, ActionSchema } from './actions.js';

/** Which request is the workflow's result: text (`POST /api/items/*`, `#12`) or {method?, url?, entry?}. */
export const TargetSchema = Type.Unsafe<string | { method?: string; url?: string; entry?: number }>({
  description: 'The request whose response is the result: "METHOD /url/pattern/*", "#<HAR entry>", or an object',
  'x-error': 'must be a string like "POST /api/items/*" or an object {method, url, entry}',
  anyOf: [
    { type: 'string', maxLength: 2000 },
    Type.Object(
      {
        method: Type.Optional(Type.String({ pattern: '^[A-Za-z]{3,10}$', 'x-error': 'must be an HTTP method' })),
        url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'A URL or a piece of one' })),
        entry: Type.Optional(Type.Integer({ minimum: 0, description: 'HAR entry index' })),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
  ],
});

/** POST /v1/recordings. `actions` are checked by the recorder (code invalid_action). */
export const StartRecordingBody = Type.Object(
  {
    startUrl: httpUrl(4096),
    headed: Type.Optional(nullable(Type.Boolean({ description: 'A visible browser (needs a display)' }))),
    name: Type.Optional(nullable(Type.String({ maxLength: 200 }))),
    actions: Type.Optional(ActionListSchema),
  },
);
export type StartRecordingBody = Static<typeof StartRecordingBody>;

/** POST /v1/recordings/:id/learn: learn again, with another target. */
export const LearnBody = Type.Object({ target: TargetSchema, name: Type.Optional(nullable(Type.String({ maxLength: 200 }))) });
export type LearnBody = Static<typeof LearnBody>;

export const RecordingSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    status: stringEnum(['recording', 'stopped', 'failed'] as const),
    source: stringEnum(['har', 'browser'] as const),
    headed: Type.Optional(Type.Boolean()),
    startUrl: Type.Optional(Type.String()),
    owner: Type.Optional(Type.String({ description: 'Id of the API key that started it (a hash prefix, never the key); only its holder may view it live' })),
    createdAt: Type.String({ format: 'date-time' }),
    stoppedAt: Type.Optional(Type.String({ format: 'date-time' })),
    entryCount: Type.Optional(Type.Integer()),
    actions: Type.Optional(Type.Array(ActionSchema, { description: 'The action log, typed secrets redacted' })),
    workflowId: Type.Optional(Type.String()),
    warnings: Type.Optional(Type.Array(Type.String())),
  },
  { title: 'Recording' },
);
