import { Type } from '@sinclair/typebox';

/** Every error the API answers: `{error:{code, message, details?}}`. */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable snake_case code', example: 'invalid_request' }),
      message: Type.String(),
      details: Type.Optional(Type.Array(Type.Object({ path: Type.String({ description: 'JSON path of the bad value, e.g. steps.s1.idempotent or [2].selector' }), message: Type.String() }))),
    }),
  },
  { title: 'Error' },
);

/** Paging of list calls (the query, checked by server/validate.ts `pagination`). */
export const PageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
];
