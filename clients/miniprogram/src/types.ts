/** The shapes the client takes and gives; the server's are documented in the main README. */
import type { ScanClient } from './scan';
import type { Header, HTTPResponse, Method, RequestBody, WxLike } from './wx';

export type { Method, RequestBody };

export interface ClientOptions {
  /** Where `django_wxlogin.urls` is included, e.g. `https://api.example.com/wx/`. */
  baseURL: string;
  /** The storage key the login is kept under (default `wxlogin`). */
  storageKey?: string;
  /** The mini program's `NAME` (or APPID) when the backend serves several: `POST login/ {app}`. */
  app?: string;
  /** `wx` by default; pass `uni` (uni-app), `Taro` or any object of that shape. */
  wx?: WxLike;
  /** Retries of a login answered 429 or 503 (default 2), each after its `Retry-After`. */
  maxRetries?: number;
}

export interface WxLoginUser {
  id: number;
  openid?: string;
  unionid?: string | null;
  nickname?: string;
  avatar_url?: string;
}

/** `POST login/`'s answer, as kept in storage. */
export interface LoginResult {
  token: string;
  expires_at: string;
  user: WxLoginUser;
  /** True when this login created the user's identity here: ask for nickname and avatar. */
  created?: boolean;
  /** True when this login cancelled the account's pending closure (注销冷静期): tell the
   * person their account is kept. */
  closure_cancelled?: boolean;
}

/** `POST account/delete/`'s answer. */
export interface AccountClosure {
  /** `pending` until the grace period is over; `erased` when the server erases at once. */
  state: 'pending' | 'erased';
  erase_after: string;
}

export interface RequestOptions {
  /** An absolute URL on `baseURL`'s origin, or a path starting with `/` on that origin. */
  url: string;
  method?: Method;
  data?: RequestBody;
  header?: Header;
}

/**
 * What of the profile waits for a content check (the server's `CONTENT_CHECKS`), shown to its
 * owner only: others see `nickname` and `avatar_url`, which keep the old values meanwhile.
 */
export interface ProfilePending {
  /** The nickname under review, or null. */
  nickname: string | null;
  /** Whether an avatar is under review. */
  avatar: boolean;
}

export interface Profile {
  id: number;
  openid: string;
  unionid: string | null;
  /** The published nickname: what others see. */
  nickname: string;
  /** The published avatar: what others see. */
  avatar_url: string;
  phone_number: string;
  pending: ProfilePending;
}

export interface SessionInfo {
  id: number;
  current: boolean;
  appid: string;
  method: 'wechat' | 'password';
  created_at: string;
  expires_at: string;
  last_seen_at: string | null;
  user_agent: string;
  ip_address: string | null;
}

export interface PhoneNumber {
  phone_number: string;
  pure_phone_number: string;
  country_code: string;
}

export interface WxLoginClient {
  /** The stored token, or null when logged out. */
  readonly token: string | null;
  /** `wx.login()` + `POST login/`; concurrent calls share one. */
  login(): Promise<LoginResult>;
  /** Your API with the token; on a 401, one shared re-login and one retry. */
  request<T = any>(options: RequestOptions): Promise<HTTPResponse<T>>;
  /** Ends this session and forgets it; no login happens by itself until `login()`. */
  logout(): Promise<void>;
  /** Ends every session of the user, then forgets this one like `logout()`. */
  logoutAll(): Promise<void>;
  sessions(): Promise<SessionInfo[]>;
  revokeSession(id: number | string): Promise<void>;
  profile(): Promise<Profile>;
  updateProfile(changes: { nickname?: string }): Promise<Profile>;
  /** The temporary file of `<button open-type="chooseAvatar">`, sent with `wx.uploadFile`. */
  uploadAvatar(tempFilePath: string): Promise<Profile>;
  /** The `code` of `<button open-type="getPhoneNumber">`. */
  phoneNumber(code: string): Promise<PhoneNumber>;
  /** Closes the account (账号注销) with a fresh `wx.login()` code, or the password when given;
   * every session ends, this one included, and the client forgets it like `logout()`. Logging
   * in again within the grace period cancels the closure (`closure_cancelled` on the login). */
  deleteAccount(options?: { password?: string }): Promise<AccountClosure>;
  /** Decrypts WeChat's `encryptedData`; on `decrypt_failed` logs in afresh, then rejects. */
  decrypt<T = Record<string, unknown>>(payload: { encryptedData: string; iv: string }): Promise<T>;
  /** Scan to log in: `describe`, `confirm`, `cancel` a website's login code. */
  readonly scan: ScanClient;
}
