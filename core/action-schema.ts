import { Type, type TSchema } from '@sinclair/typebox';
import type { ActionType } from './workflow.js';
import { httpUrl, stringEnum, type JsonSchema } from './schema-check.js';

/**
 * The one definition of a scripted action (goto/click/fill/press/select/waitFor): the recorder
 * validates with it and the API document shows it. In core because the recorder may not import
 * the server.
 */

export const ACTION_TYPES = ['goto', 'click', 'fill', 'press', 'select', 'waitFor'] as const satisfies readonly ActionType[];
export const MAX_ACTIONS = 500;
export const MAX_ACTION_FIELD = 10_000;

const text = (opts: JsonSchema = {}) => Type.String({ maxLength: MAX_ACTION_FIELD, ...opts });
/** A field the action needs: present, and (but for a typed value, which may be '') not empty. */
const needed = () => text({ minLength: 1 });

/** Every string field any action may carry (extra ones are kept: a click's pageUrl, a fill's input name). */
const fields = () => ({
  selector: Type.Optional(text({ description: 'CSS or Playwright selector' })),
  url: Type.Optional(text()),
  value: Type.Optional(text()),
  key: Type.Optional(text({ description: 'A key name, e.g. Enter' })),
  input: Type.Optional(text({ description: 'Name of the workflow input this typed value feeds' })),
  secret: Type.Optional(Type.Boolean({ description: 'A typed secret: redacted in logs and stored sealed' })),
  pageUrl: Type.Optional(text()),
});

function action(type: ActionType, own: Record<string, TSchema>, opts: JsonSchema = {}) {
  return Type.Object({ type: stringEnum([type]), ...fields(), ...own }, opts);
}

export const ActionSchema = Type.Object(
  { type: stringEnum(ACTION_TYPES) },
  {
    title: 'Action',
    description: 'One scripted browser action; `type` picks which fields it needs',
    discriminator: { propertyName: 'type' },
    oneOf: [
      action('goto', { url: httpUrl(MAX_ACTION_FIELD) }),
      action('click', { selector: needed() }),
      action('fill', { selector: needed(), value: text() }),
      action('press', { selector: needed(), key: needed() }),
      action('select', { selector: needed(), value: text() }),
      action('waitFor', {}, { anyOf: [{ required: ['selector'] }, { required: ['url'] }], 'x-error': 'waitFor needs a selector or a url' }),
    ],
  },
);

export const ActionListSchema = Type.Array(ActionSchema, { maxItems: MAX_ACTIONS, description: `At most ${MAX_ACTIONS} actions, run in order` });
