// The compiled library (what npm publishes), clients on the wx shim, and the servers run.mjs
// started.
import { createRequire } from 'node:module';
import { createWx, uniqueUser } from './wx-shim.mjs';

const require = createRequire(import.meta.url);
export const { createClient, WxLoginError, CLIENT_CODES, underReview } = require('../../dist/index.js');

export const BASE_URL = process.env.WXLOGIN_CLIENT_TEST_URL;
export const THROTTLED_URL = process.env.WXLOGIN_CLIENT_TEST_THROTTLED_URL;
if (!BASE_URL || !THROTTLED_URL) {
  throw new Error('Run the tests with `npm test` (test/run.mjs starts the servers).');
}
export const ORIGIN = new URL(BASE_URL).origin;

/**
 * A device: its own wx (storage included) and a client on it, for a new user unless given.
 *
 * @param {{ user?: string, codes?: string[], storage?: Map<string, unknown>, baseURL?: string,
 *           app?: string, maxRetries?: number }} [options]
 */
export function device({ user = uniqueUser('u'), codes, storage, baseURL = BASE_URL,
                         ...options } = {}) {
  const wx = createWx({ user, codes, storage });
  const auth = createClient({ baseURL, wx, ...options });
  return { wx, auth, user };
}

/**
 * Asserts `promise` rejects with a WxLoginError and returns it.
 *
 * @param {Promise<unknown>} promise
 * @returns {Promise<any>}
 */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof WxLoginError)) throw error;
    return error;
  }
  throw new Error('expected a WxLoginError, got a result');
}
