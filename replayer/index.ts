export { Replayer, type ReplayerOptions, type RunRequest, type RunResult } from './replayer.js';
