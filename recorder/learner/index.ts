export { learn, type LearnOptions } from './learn.js';
export type { TargetSpec } from './select.js';
