import { luaCommand } from '../../core/index.js';

/** Lua commands of the run queue (replayer/queue/commands/*.lua): each makes a check and its write one atomic round trip. */
export const ENQUEUE = luaCommand(import.meta.url, 'commands', 'enqueue');
export const SAVE_IF_CURRENT = luaCommand(import.meta.url, 'commands', 'save-if-current');
export const START_RUN = luaCommand(import.meta.url, 'commands', 'start-run');

/** A workflow slot older than this is taken for one lost to a crash and dropped (enqueue.lua). */
export const SLOT_TTL_MS = 6 * 3600_000;
