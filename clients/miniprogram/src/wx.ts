/**
 * The part of the mini-program API the client uses, as callbacks: `wx` in a native mini
 * program, `uni` in uni-app, `Taro` in Taro all have this shape. The options are no wider than
 * what miniprogram-api-typings' `wx` and @tarojs/taro's `Taro` declare (a method name, not any
 * string; a body that is a string, an object or an ArrayBuffer), so both are a `WxLike`.
 */
import { CLIENT_CODES, WxLoginError } from './errors';

export type Header = Record<string, string>;

/** The methods wx.request knows (it has no PATCH). */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'TRACE' | 'CONNECT';

/** What wx.request can send: a string, or an object (sent as JSON) or an ArrayBuffer. */
export type RequestBody = string | object;

export interface WxCallbacks<T> {
  success?: (result: T) => void;
  fail?: (error: { errMsg?: string }) => void;
}

export interface WxHTTPResult {
  statusCode: number;
  data: unknown;
  header?: Header;
}

export interface WxLike {
  login(options: WxCallbacks<{ code: string }>): unknown;
  request(options: {
    url: string;
    method?: Method;
    data?: RequestBody;
    header?: Header;
  } & WxCallbacks<WxHTTPResult>): unknown;
  uploadFile(options: {
    url: string;
    filePath: string;
    name: string;
    header?: Header;
    formData?: Record<string, string>;
  } & WxCallbacks<{ statusCode: number; data: unknown }>): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): unknown;
  removeStorageSync(key: string): unknown;
  /** How the mini program was opened (its launch `scene`), for scan login; optional. */
  getEnterOptionsSync?(): { scene?: number };
}

/** The HTTP answer the client hands back, whatever the status. */
export interface HTTPResponse<T = unknown> {
  statusCode: number;
  data: T;
  header: Header;
}

declare const wx: WxLike | undefined;

export function globalWx(): WxLike {
  if (typeof wx === 'undefined') {
    throw new Error('django-wxlogin-miniprogram: no global wx; pass createClient({ wx: ... })');
  }
  return wx;
}

function networkError(error: { errMsg?: string } | undefined): WxLoginError {
  return new WxLoginError(CLIENT_CODES.networkError, (error && error.errMsg) || 'request failed', 0);
}

export function wxLogin(api: WxLike): Promise<string> {
  return new Promise(function (resolve, reject) {
    api.login({
      success: function (result) {
        if (result && result.code) resolve(result.code);
        else reject(new WxLoginError(CLIENT_CODES.wxLoginFailed, 'wx.login gave no code', 0));
      },
      fail: function (error) {
        reject(new WxLoginError(CLIENT_CODES.wxLoginFailed,
          (error && error.errMsg) || 'wx.login failed', 0));
      },
    });
  });
}

export function wxRequest(api: WxLike, url: string, method: Method,
                          data: RequestBody | undefined, header: Header): Promise<HTTPResponse> {
  return transfer<WxHTTPResult>(function (success, fail) {
    api.request({ url: url, method: method, data: data, header: header, success: success,
                  fail: fail });
  }, function (result) {
    return { statusCode: result.statusCode, data: result.data, header: result.header || {} };
  });
}

/** `wx.uploadFile` (multipart, always POST): its `data` is a string, parsed here as JSON. */
export function wxUpload(api: WxLike, url: string, filePath: string, name: string,
                         header: Header): Promise<HTTPResponse> {
  return transfer<{ statusCode: number; data: unknown }>(function (success, fail) {
    api.uploadFile({ url: url, filePath: filePath, name: name, header: header, success: success,
                     fail: fail });
  }, function (result) {
    return { statusCode: result.statusCode, data: parseJSON(result.data), header: {} };
  });
}

/** One HTTP exchange in wx's callback style as a promise; `fail` (no answer) is a network_error. */
function transfer<T>(start: (success: (result: T) => void,
                             fail: (error: { errMsg?: string }) => void) => void,
                     answer: (result: T) => HTTPResponse): Promise<HTTPResponse> {
  return new Promise(function (resolve, reject) {
    start(function (result) { resolve(answer(result)); },
      function (error) { reject(networkError(error)); });
  });
}

function parseJSON(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch (error) {
    return data;
  }
}

export function headerValue(header: Header, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const key in header) {
    if (Object.prototype.hasOwnProperty.call(header, key) && key.toLowerCase() === wanted) {
      return header[key];
    }
  }
  return undefined;
}
