// A mini program's TypeScript against the published .d.ts: what must compile, and what must not.
import {
  createClient, underReview, WxLoginError, type AccountClosure, type LoginResult, type Profile,
  type WxLike,
} from 'django-wxlogin-miniprogram';

declare const wx: WxLike;

const auth = createClient({
  baseURL: 'https://api.example.com/wx/', storageKey: 'wxlogin', app: 'shop', wx, maxRetries: 2,
});

export async function page(): Promise<string> {
  const login: LoginResult = await auth.login();
  const id: number = login.user.id;
  const response = await auth.request<{ items: string[] }>({
    url: '/api/orders/', method: 'POST', data: { page: 1 }, header: { 'X-Trace': String(id) },
  });
  const items: string[] = response.data.items;
  const status: number = response.statusCode;
  const token: string | null = auth.token;
  const sessions = await auth.sessions();
  await auth.revokeSession(sessions[0].id);
  const profile: Profile = await auth.updateProfile({ nickname: '小明' });
  const reviewing: boolean = underReview(profile) || profile.pending.avatar;
  const pendingName: string | null = profile.pending.nickname;
  await auth.uploadAvatar('wxfile://tmp_avatar.png');
  const phone = await auth.phoneNumber('code-from-getPhoneNumber');
  const data = await auth.decrypt<{ stepInfoList: unknown[] }>({ encryptedData: 'e', iv: 'i' });
  const shown = await auth.scan.describe('scene%20from%20options');
  const where: string = shown.ip_address + shown.user_agent + shown.site;
  await auth.scan.confirm('scene');
  await auth.scan.cancel('scene');
  await auth.logout();
  await auth.logoutAll();
  const closure: AccountClosure = await auth.deleteAccount();
  await auth.deleteAccount({ password: 'secret' });
  const cancelled: boolean | undefined = login.closure_cancelled;
  try {
    await auth.profile();
  } catch (error) {
    if (error instanceof WxLoginError) {
      const described: string = error.code + error.detail + error.status;
      return described + (error.retryAfter || 0);
    }
  }
  return [login.token, login.expires_at, items, status, token, profile.nickname, reviewing,
          pendingName, phone.phone_number, data.stepInfoList.length, closure.state,
          cancelled].join();
}

// @ts-expect-error wx.request has no PATCH
void auth.request({ url: '/x', method: 'PATCH' });
// @ts-expect-error baseURL is required
void createClient({ wx });
// @ts-expect-error only the nickname is set this way (the avatar is a file: uploadAvatar)
void auth.updateProfile({ avatar_url: 'https://example.com/a.png' });
// @ts-expect-error the token is read-only
auth.token = 'forged';
