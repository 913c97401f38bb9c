import { Type, type Static } from '@sinclair/typebox';

/** POST /v1/session: the console's sign-in. */
export const SessionBody = Type.Object({ key: Type.String({ minLength: 1, maxLength: 1000, format: 'password', description: 'One of API_KEYS' }) }, { additionalProperties: false });
export type SessionBody = Static<typeof SessionBody>;

export const SessionState = Type.Object({
  authRequired: Type.Boolean({ description: 'API keys are configured: the console must sign in' }),
  signedIn: Type.Boolean({ description: 'This browser holds a valid sign-in cookie (always true when no key is needed)' }),
});
