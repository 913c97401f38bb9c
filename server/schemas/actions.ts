import { Type, type Static } from '@sinclair/typebox';
import { ActionListSchema, ActionSchema } from '../../core/index.js';

export { ActionListSchema, ActionSchema };

/** POST /v1/recordings/:id/actions. The actions themselves are checked by the recorder's parseActions, against the same schema. */
export const ActionsBody = Type.Object({ actions: ActionListSchema }, { additionalProperties: false });
export type ActionsBody = Static<typeof ActionsBody>;
