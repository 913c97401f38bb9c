import { Type, type Static } from '@sinclair/typebox';
import { stringEnum } from '../core/index.js';

/** Viewport bounds a viewer may ask for (CSS pixels). */
export const VIEWPORT_LIMITS = { minWidth: 320, maxWidth: 1920, minHeight: 240, maxHeight: 1200 } as const;

const fraction = Type.Number({ minimum: 0, maximum: 1, description: 'Across the frame, 0 at the left or top, 1 at the right or bottom' });
const button = stringEnum(['left', 'middle', 'right'] as const);

/**
 * What a live viewer sends (JSON text messages): pointer positions as fractions of the frame it
 * shows (so its scale does not matter), keys by their KeyboardEvent.key names, pasted text, its
 * size. Checked with this schema before anything reaches the browser.
 */
export const LiveInputSchema = Type.Union([
  Type.Object({ type: stringEnum(['mouse'] as const), action: stringEnum(['move', 'down', 'up'] as const), x: fraction, y: fraction, button: Type.Optional(button), clickCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })) }, { additionalProperties: false }),
  Type.Object({ type: stringEnum(['wheel'] as const), x: fraction, y: fraction, dx: Type.Number({ minimum: -10_000, maximum: 10_000 }), dy: Type.Number({ minimum: -10_000, maximum: 10_000 }) }, { additionalProperties: false }),
  Type.Object({ type: stringEnum(['key'] as const), action: stringEnum(['down', 'up'] as const), key: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false }),
  Type.Object({ type: stringEnum(['text'] as const), text: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false }),
  Type.Object({ type: stringEnum(['viewport'] as const), width: Type.Integer({ minimum: 1, maximum: 10_000 }), height: Type.Integer({ minimum: 1, maximum: 10_000 }) }, { additionalProperties: false }),
]);
export type LiveInput = Static<typeof LiveInputSchema>;
