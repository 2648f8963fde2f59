/**
 * The client: one login at a time however many callers want one, one retry per request, and a
 * logout that no login still in flight can undo.
 */
import { CLIENT_CODES, WxLoginError } from './errors';
import type {
  AccountClosure, ClientOptions, LoginResult, PhoneNumber, Profile, RequestOptions, SessionInfo,
  WxLoginClient,
} from './types';
import { createScan, type ScanClient } from './scan';
import {
  globalWx, headerValue, wxLogin, wxRequest, wxUpload,
  type Header, type HTTPResponse, type Method, type RequestBody, type WxLike,
} from './wx';

declare function setTimeout(callback: () => void, ms: number): unknown;

/** A `Retry-After` longer than this ends the login at once: nobody waits a minute on a spinner. */
const MAX_WAIT_SECONDS = 10;
/** How long a `409 duplicate_code` waits for the login that got the code's token to store it. */
const DUPLICATE_WAIT_MS = 5000;
const POLL_MS = 100;
const JSON_HEADER: Header = { 'content-type': 'application/json' };

export function createClient(options: ClientOptions): WxLoginClient {
  return new Client(options);
}

class Client implements WxLoginClient {
  private readonly api: WxLike;
  private readonly baseURL: string;
  private readonly origin: string;
  private readonly storageKey: string;
  private readonly app: string;
  private readonly maxRetries: number;
  /** Bumped by every logout: a login or request begun before it must not store or retry. */
  private epoch = 0;
  /** After a logout, requests go without a token and nothing logs in until `login()`. */
  private loggedOut = false;
  private pending: Promise<LoginResult> | null = null;
  /** Scan to log in: the confirm page's `describe`, `confirm` and `cancel`. */
  readonly scan: ScanClient;

  constructor(options: ClientOptions) {
    const match = /^(https?:\/\/[^/?#]+)(\/[^?#]*)?$/i.exec(options.baseURL || '');
    if (!match) {
      throw new WxLoginError(CLIENT_CODES.invalidURL,
        'baseURL must be an absolute http(s) URL without query: ' + options.baseURL, 0);
    }
    const path = match[2] || '/';
    this.origin = match[1].toLowerCase();
    this.baseURL = this.origin + (path.charAt(path.length - 1) === '/' ? path : path + '/');
    this.api = options.wx || globalWx();
    this.storageKey = options.storageKey || 'wxlogin';
    this.app = options.app || '';
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries === undefined ? 2
      : options.maxRetries));
    this.scan = createScan((method, path, data) => this.call(method, path, data), this.api);
  }

  get token(): string | null {
    const stored = this.stored();
    return stored ? stored.token : null;
  }

  login(): Promise<LoginResult> {
    if (this.pending) return this.pending;
    this.loggedOut = false;
    const pending = this.loginOnce(this.epoch);
    const settle = (): void => {
      if (this.pending === pending) this.pending = null;
    };
    pending.then(settle, settle);
    this.pending = pending;
    return pending;
  }

  async request<T = any>(options: RequestOptions): Promise<HTTPResponse<T>> {
    const url = this.resolve(options.url);
    const method = options.method || 'GET';
    return this.authed((token) => wxRequest(this.api, url, method, options.data,
      this.headers(token, options.header))) as Promise<HTTPResponse<T>>;
  }

  async logout(): Promise<void> {
    const token = this.token;
    this.forget();
    if (!token) return;
    const response = await wxRequest(this.api, this.baseURL + 'logout/', 'POST', undefined,
      this.headers(token));
    if (!succeeded(response) && response.statusCode !== 401) throw errorFrom(response);
  }

  async logoutAll(): Promise<void> {
    try {
      await this.call('POST', 'logout/all/');
    } finally {
      this.forget();
    }
  }

  async deleteAccount(options?: { password?: string }): Promise<AccountClosure> {
    // The proof: a fresh code (WeChat vouches it is the same person), fetched after any login
    // this needs so that no later wx.login() replaces it, or the password.
    if (!this.token) await this.login();
    const proof = options && typeof options.password === 'string'
      ? { password: options.password } : { code: await wxLogin(this.api) };
    const closure = await this.call('POST', 'account/delete/', proof) as AccountClosure;
    this.forget(); // the server ended every session, this one included
    return closure;
  }

  sessions(): Promise<SessionInfo[]> {
    return this.call('GET', 'sessions/') as Promise<SessionInfo[]>;
  }

  async revokeSession(id: number | string): Promise<void> {
    await this.call('DELETE', 'sessions/' + encodeURIComponent(String(id)) + '/');
  }

  profile(): Promise<Profile> {
    return this.call('GET', 'profile/') as Promise<Profile>;
  }

  updateProfile(changes: { nickname?: string }): Promise<Profile> {
    // POST, not PATCH: wx.request has no PATCH; profile/ takes POST like PATCH.
    return this.call('POST', 'profile/', changes) as Promise<Profile>;
  }

  async uploadAvatar(tempFilePath: string): Promise<Profile> {
    // wx.uploadFile can only POST; profile/ takes POST like PATCH.
    const response = await this.authed((token) => wxUpload(this.api, this.baseURL + 'profile/',
      tempFilePath, 'avatar', this.headers(token)));
    if (!succeeded(response)) throw errorFrom(response);
    return response.data as Profile;
  }

  phoneNumber(code: string): Promise<PhoneNumber> {
    return this.call('POST', 'phone/', { code: code }) as Promise<PhoneNumber>;
  }

  async decrypt<T = Record<string, unknown>>(
    payload: { encryptedData: string; iv: string },
  ): Promise<T> {
    try {
      return await this.call('POST', 'decrypt/',
        { encrypted_data: payload.encryptedData, iv: payload.iv }) as T;
    } catch (error) {
      if (!(error instanceof WxLoginError) || error.code !== 'decrypt_failed') throw error;
      // The data was encrypted under a session_key WeChat has since replaced. A new login
      // stores the current one; data fetched from WeChat after it will decrypt.
      await this.login();
      throw error;
    }
  }

  private async loginOnce(epoch: number): Promise<LoginResult> {
    for (let attempt = 0; ; attempt++) {
      const before = this.token;
      const code = await wxLogin(this.api);
      this.checkEpoch(epoch);
      const body: Record<string, string> = { code: code };
      if (this.app) body.app = this.app;
      const response = await wxRequest(this.api, this.baseURL + 'login/', 'POST', body,
        JSON_HEADER);
      if (epoch !== this.epoch) {
        // Logged out while the answer was on its way: its token must not outlive the logout.
        if (response.statusCode === 200) await this.revoke(response.data);
        throw loggedOutError();
      }
      if (response.statusCode === 200) return this.keep(response.data);
      const error = errorFrom(response);
      let wait = 0;
      if (error.code === 'duplicate_code') {
        // Another client on this storage posted the same code: its login gets the token.
        const adopted = await this.waitForStoredLogin(before, epoch);
        if (adopted) return adopted;
      } else if (response.statusCode === 429 || response.statusCode === 503) {
        wait = error.retryAfter !== undefined ? error.retryAfter : Math.pow(2, attempt);
        if (wait > MAX_WAIT_SECONDS) throw error;
      } else {
        throw error;
      }
      if (attempt >= this.maxRetries) throw error;
      if (wait > 0) {
        await sleep(wait * 1000);
        this.checkEpoch(epoch);
      }
    }
  }

  private keep(data: unknown): LoginResult {
    if (!isLogin(data)) {
      throw new WxLoginError('invalid_response', 'POST login/ answered without a token', 200,
        undefined, data);
    }
    this.api.setStorageSync(this.storageKey, data);
    return data;
  }

  private async waitForStoredLogin(before: string | null,
                                   epoch: number): Promise<LoginResult | null> {
    for (let waited = 0; waited < DUPLICATE_WAIT_MS; waited += POLL_MS) {
      await sleep(POLL_MS);
      this.checkEpoch(epoch);
      const stored = this.stored();
      if (stored && stored.token !== before) return stored;
    }
    return null;
  }

  /** Best effort: the token of a login that lost the race with a logout. */
  private async revoke(data: unknown): Promise<void> {
    if (!isLogin(data)) return;
    try {
      await wxRequest(this.api, this.baseURL + 'logout/', 'POST', undefined,
        this.headers(data.token));
    } catch (ignored) {
      // Unreachable now: the session expires by itself.
    }
  }

  /** `send` with the token; after a 401 once more with the shared re-login's token, no more. */
  private async authed(send: (token: string | null) => Promise<HTTPResponse>,
  ): Promise<HTTPResponse> {
    const epoch = this.epoch;
    const token = await this.tokenFor(epoch);
    const first = await send(token);
    if (first.statusCode !== 401) return first;
    const error = errorFrom(first);
    this.checkEpoch(epoch);
    if (token === null || error.code === 'user_inactive') throw error;
    const second = await send(await this.tokenAfter(token, epoch));
    if (second.statusCode === 401) throw errorFrom(second);
    return second;
  }

  /** A login under way first (requests queued behind it use its token), else the stored token,
   * else a new login, unless logged out. */
  private async tokenFor(epoch: number): Promise<string | null> {
    if (this.pending) await this.pending;
    this.checkEpoch(epoch);
    const token = this.token;
    if (token || this.loggedOut) return token;
    return (await this.login()).token;
  }

  /** After `rejected` got a 401: the token of the one shared re-login, joined if under way or
   * already done, started otherwise. */
  private async tokenAfter(rejected: string, epoch: number): Promise<string> {
    if (this.pending) await this.pending;
    this.checkEpoch(epoch);
    const current = this.token;
    if (current && current !== rejected) return current;
    return (await this.login()).token;
  }

  private async call(method: Method, path: string, data?: RequestBody): Promise<unknown> {
    const url = this.baseURL + path;
    const response = await this.authed((token) => wxRequest(this.api, url, method, data,
      this.headers(token, data === undefined ? undefined : JSON_HEADER)));
    if (!succeeded(response)) throw errorFrom(response);
    return response.data;
  }

  private headers(token: string | null, extra?: Header): Header {
    const header: Header = {};
    for (const name in extra) {
      if (Object.prototype.hasOwnProperty.call(extra, name)
          && name.toLowerCase() !== 'authorization') {
        header[name] = extra[name];
      }
    }
    if (token) header.Authorization = 'Bearer ' + token;
    return header;
  }

  /** Absolute URLs must stay on baseURL's origin: the token goes to no one else. */
  private resolve(url: string): string {
    if (typeof url === 'string' && url.charAt(0) === '/' && url.charAt(1) !== '/') {
      return this.origin + url;
    }
    const origin = /^https?:\/\/[^/?#]+/i.exec(url || '');
    if (origin && origin[0].toLowerCase() === this.origin) return url;
    throw new WxLoginError(CLIENT_CODES.invalidURL,
      'request() takes a path starting with "/" or a URL on ' + this.origin + ': ' + url, 0);
  }

  private stored(): LoginResult | null {
    const value = this.api.getStorageSync(this.storageKey);
    return isLogin(value) ? value : null;
  }

  private forget(): void {
    this.epoch++;
    this.loggedOut = true;
    this.pending = null;
    this.api.removeStorageSync(this.storageKey);
  }

  private checkEpoch(epoch: number): void {
    if (epoch !== this.epoch) throw loggedOutError();
  }
}

function isLogin(value: unknown): value is LoginResult {
  return !!value && typeof value === 'object' && typeof (value as LoginResult).token === 'string'
    && (value as LoginResult).token !== '';
}

function succeeded(response: HTTPResponse): boolean {
  return response.statusCode >= 200 && response.statusCode < 300;
}

function loggedOutError(): WxLoginError {
  return new WxLoginError(CLIENT_CODES.loggedOut, 'logged out while this was under way', 0);
}

/** The server's `{code, detail}` (any other body: `http_<status>`), with its `Retry-After`. */
function errorFrom(response: HTTPResponse): WxLoginError {
  const body = (response.data && typeof response.data === 'object' ? response.data : {}) as
    { code?: unknown; detail?: unknown };
  const code = typeof body.code === 'string' ? body.code : 'http_' + response.statusCode;
  const detail = typeof body.detail === 'string' ? body.detail : '';
  return new WxLoginError(code, detail, response.statusCode,
    retryAfter(headerValue(response.header, 'retry-after')), response.data);
}

/** `Retry-After` in seconds: a number, or an HTTP date. */
function retryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return parseInt(value, 10);
  const date = Date.parse(value);
  return isNaN(date) ? undefined : Math.max(0, Math.ceil((date - new Date().getTime()) / 1000));
}

function sleep(ms: number): Promise<void> {
  return new Promise(function (resolve) {
    setTimeout(resolve, ms);
  });
}

/**
 * Whether any of the profile waits for a content check: show "under review" (审核中) to its
 * owner, with the pending nickname or the local image, until a later `profile()` says not.
 */
export function underReview(profile: Profile): boolean {
  const pending = profile.pending;
  return !!pending && (pending.nickname !== null || pending.avatar);
}
