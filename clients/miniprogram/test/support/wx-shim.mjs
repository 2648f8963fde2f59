// A `wx` for Node: wx.login hands out codes the fake WeChat accepts ("<user>.<unique>", each
// once), wx.request and wx.uploadFile go over real HTTP with fetch/FormData and behave as
// WeChat's do (success for any HTTP status, fail only without an answer, no PATCH, upload
// answers as a string), storage is a Map that stores copies as wx does.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

export const RUN = randomBytes(4).toString('hex');
let sequence = 0;

/** A user name no earlier run used: login codes and users stay apart across runs. */
export function uniqueUser(prefix) {
  sequence += 1;
  return `${prefix}${RUN}x${sequence}`;
}

const METHODS = new Set(['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']);
const IMAGE_TYPES = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };

function headerGet(header, name) {
  const key = Object.keys(header || {}).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : header[key];
}

// WeChat hands headers over as the server spelled them (Retry-After), fetch lower-cases them.
function spelled(headers) {
  const header = {};
  for (const [name, value] of headers) {
    header[name.replace(/(^|-)([a-z])/g, (m, dash, letter) => dash + letter.toUpperCase())] = value;
  }
  return header;
}

function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * `createWx({ user })`: `wx.calls` logs every HTTP exchange ({ kind, method, path, auth,
 * status }), `wx.codes` are handed out by wx.login before generated ones, `wx.issuedCodes` is
 * what wx.login gave, and `wx.beforeAnswer(call, data)` (async) runs after the server answered
 * and before the client hears of it.
 *
 * @param {{ user?: string, codes?: string[], storage?: Map<string, unknown> }} [options]
 */
export function createWx({ user, codes = [], storage = new Map() } = {}) {
  const shim = {
    user,
    codes: [...codes],
    issuedCodes: [],
    calls: [],
    beforeAnswer: null,
    storage,
    /** The launch scene `wx.getEnterOptionsSync()` reports (1047: the camera scanned a code). */
    launchScene: 1047,

    login({ success, fail }) {
      setImmediate(() => {
        if (!shim.user && shim.codes.length === 0) {
          fail({ errMsg: 'login:fail no user' });
          return;
        }
        sequence += 1;
        const code = shim.codes.length ? shim.codes.shift() : `${shim.user}.${RUN}-${sequence}`;
        shim.issuedCodes.push(code);
        success({ code, errMsg: 'login:ok' });
      });
    },

    request({ url, method = 'GET', data, header = {}, success, fail }) {
      const call = { kind: 'request', method, path: new URL(url).pathname,
                     auth: headerGet(header, 'authorization') };
      shim.calls.push(call);
      if (!METHODS.has(method)) {
        setImmediate(() => fail({ errMsg: `request:fail invalid method ${method}` }));
        return;
      }
      let target = url;
      let body;
      const headers = { ...header };
      const type = headerGet(header, 'content-type');
      if (type === undefined) headers['content-type'] = 'application/json';
      if (data !== undefined && data !== null) {
        if (method === 'GET') {
          target += (url.includes('?') ? '&' : '?') + new URLSearchParams(data);
        } else if (typeof data === 'string') {
          body = data;
        } else if (type && type.includes('x-www-form-urlencoded')) {
          body = new URLSearchParams(data).toString();
        } else {
          body = JSON.stringify(data);
        }
      }
      shim.exchange(call, () => fetch(target, { method, headers, body }), success, fail, true);
    },

    uploadFile({ url, filePath, name, header = {}, formData = {}, success, fail }) {
      const call = { kind: 'upload', method: 'POST', path: new URL(url).pathname,
                     auth: headerGet(header, 'authorization') };
      shim.calls.push(call);
      shim.exchange(call, async () => {
        const form = new FormData();
        for (const [field, value] of Object.entries(formData)) form.append(field, value);
        const type = IMAGE_TYPES[filePath.slice(filePath.lastIndexOf('.'))] || 'application/octet-stream';
        form.append(name, new Blob([await readFile(filePath)], { type }), basename(filePath));
        return fetch(url, { method: 'POST', headers: header, body: form });
      }, success, fail, false);
    },

    async exchange(call, send, success, fail, parseBody) {
      let response;
      let text;
      try {
        response = await send();
        text = await response.text();
      } catch (error) {
        call.error = String(error);
        fail({ errMsg: `${call.kind}:fail ${error.message}` });
        return;
      }
      call.status = response.status;
      const data = parseBody ? parsed(text) : text;
      if (shim.beforeAnswer) await shim.beforeAnswer(call, parsed(text));
      const answer = { statusCode: response.status, data, errMsg: `${call.kind}:ok` };
      if (call.kind === 'request') answer.header = spelled(response.headers);
      success(answer);
    },

    /** @returns {any} */
    getStorageSync(key) {
      return storage.has(key) ? structuredClone(storage.get(key)) : '';
    },
    setStorageSync(key, value) {
      storage.set(key, JSON.parse(JSON.stringify(value)));
    },
    removeStorageSync(key) {
      storage.delete(key);
    },

    getEnterOptionsSync() {
      return { scene: shim.launchScene, path: 'pages/scan/confirm', query: {} };
    },

    /** The exchanges with one path of the API, e.g. `wx.made('login/')`. */
    made(path, kind) {
      return shim.calls.filter((c) => c.path.endsWith(`/wx/${path}`) && (!kind || c.kind === kind));
    },
  };
  return shim;
}
