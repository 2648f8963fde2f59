/**
 * Every failure reaches the caller as a `WxLoginError`: the server's `{code, detail}` when it
 * answered, or one of the client's own codes when it could not (see README).
 */
export class WxLoginError extends Error {
  /** The server's machine code (`session_expired`, `throttled`, ...) or the client's own. */
  code: string;
  /** The server's message (translated by its Accept-Language), or the client's. */
  detail: string;
  /** The HTTP status, or 0 when no HTTP answer was involved (network, wx.login, logout). */
  status: number;
  /** Seconds the server asked to wait (`Retry-After`), when it did. */
  retryAfter?: number;
  /** The server's whole answer body, e.g. the `bind_ticket` of `account_required`. */
  data?: unknown;

  constructor(code: string, detail: string, status: number, retryAfter?: number, data?: unknown) {
    super(detail || code);
    // Compiled to ES5, Error's constructor returns a plain Error: restore the prototype so
    // that `instanceof WxLoginError` holds in every runtime.
    setPrototype(this, WxLoginError.prototype);
    this.name = 'WxLoginError';
    this.code = code;
    this.detail = detail;
    this.status = status;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
    if (data !== undefined) this.data = data;
  }
}

function setPrototype(target: object, proto: object): void {
  const setter = (Object as unknown as { setPrototypeOf?: (o: object, p: object) => void })
    .setPrototypeOf;
  if (setter) setter(target, proto);
  else (target as { __proto__?: object }).__proto__ = proto;
}

/** Codes the client raises itself (the server's codes are listed in the main README). */
export const CLIENT_CODES = {
  /** `wx.login` failed (no network, or not inside a mini program). */
  wxLoginFailed: 'wx_login_failed',
  /** `wx.request` / `wx.uploadFile` failed: no HTTP answer at all. */
  networkError: 'network_error',
  /** `logout()` / `logoutAll()` ran while this login or request was waiting for one. */
  loggedOut: 'logged_out',
  /** `request()` was given a URL that is neither on `baseURL`'s origin nor a `/path`. */
  invalidURL: 'invalid_url',
  /** `scan.*()` was given no scene: the page was not opened from a login code. */
  invalidScene: 'invalid_scene',
} as const;
