/**
 * Scan to log in, the mini program's side: the confirm page a website's code opens.
 *
 *     onLoad(options) { auth.scan.describe(options.scene).then(...) }
 *
 * The scene arrives URL-encoded in the page's options and is decoded here; the launch scene
 * (how the mini program was opened: 1047 camera, 1048/1049 a picture from a chat or the album)
 * is read from `wx.getEnterOptionsSync()` and sent along, so the server can refuse a forwarded
 * screenshot.
 */
import { CLIENT_CODES, WxLoginError } from './errors';
import type { Method, RequestBody, WxLike } from './wx';

/** What the confirm page must show before the person confirms. */
export interface ScanRequest {
  state: 'scanned';
  /** The website's name (or host) that asked. */
  site: string;
  /** The requesting browser's IP address and user agent: not this phone's computer? Cancel. */
  ip_address: string;
  user_agent: string;
  /** When the browser asked (ISO 8601) and the seconds left to confirm. */
  requested_at: string;
  expires_in: number;
}

export interface ScanClient {
  /** Marks the code scanned by this user and tells what it asks. `scene`: `options.scene`. */
  describe(scene: string): Promise<ScanRequest>;
  /** Logs the browser that showed the code in as this user. */
  confirm(scene: string): Promise<void>;
  /** Refuses the login; the browser shows a fresh code. */
  cancel(scene: string): Promise<void>;
}

export type Call = (method: Method, path: string, data?: RequestBody) => Promise<unknown>;

export function createScan(call: Call, api: WxLike): ScanClient {
  return {
    async describe(scene) {
      const query = '?launch_scene=' + encodeURIComponent(String(launchScene(api)));
      return await call('GET', path(scene) + query) as ScanRequest;
    },
    async confirm(scene) {
      await call('POST', path(scene) + 'confirm/', { launch_scene: launchScene(api) });
    },
    async cancel(scene) {
      await call('POST', path(scene) + 'cancel/');
    },
  };
}

/** `scan/<scene>/` from the page's (URL-encoded) scene. */
function path(scene: string): string {
  let decoded = '';
  try {
    decoded = decodeURIComponent(scene || '');
  } catch (error) {
    decoded = '';
  }
  if (!decoded) {
    throw new WxLoginError(CLIENT_CODES.invalidScene,
      'no scene: open this page from a login code', 0);
  }
  return 'scan/' + encodeURIComponent(decoded) + '/';
}

function launchScene(api: WxLike): number {
  const options = api.getEnterOptionsSync ? api.getEnterOptionsSync() : undefined;
  return options && typeof options.scene === 'number' ? options.scene : 0;
}
