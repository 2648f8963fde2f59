/**
 * django-wxlogin-miniprogram: the mini-program half of django-wxlogin.
 *
 *     import { createClient, WxLoginError } from 'django-wxlogin-miniprogram'
 *     const auth = createClient({ baseURL: 'https://api.example.com/wx/' })
 */
export { createClient, underReview } from './client';
export { CLIENT_CODES, WxLoginError } from './errors';
export type {
  AccountClosure, ClientOptions, LoginResult, Method, PhoneNumber, Profile, ProfilePending,
  RequestBody, RequestOptions, SessionInfo, WxLoginClient, WxLoginUser,
} from './types';
export type { ScanClient, ScanRequest } from './scan';
export type { Header, HTTPResponse, WxCallbacks, WxHTTPResult, WxLike } from './wx';
