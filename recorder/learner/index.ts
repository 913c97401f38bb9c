export { learn, type LearnOptions } from './learn.js';
export { parseTarget, type TargetSpec } from './target.js';
