export * from './common.js';
export * from './actions.js';
export * from './recordings.js';
export * from './workflows.js';
export * from './runs.js';
export * from './operations.js';
export * from './session.js';
