// login(): one at a time, duplicate codes, WeChat busy or rate-limited, the login rate, the
// race with logout().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWx, uniqueUser } from './support/wx-shim.mjs';
import { liveSessions, loginElsewhere, sessionsCreated, statusWith } from './support/backend.mjs';
import {
  BASE_URL, THROTTLED_URL, WxLoginError, createClient, device, rejection,
} from './support/fixtures.mjs';

test('concurrent login() calls share one wx.login and one POST login/', async () => {
  const { wx, auth } = device();
  const results = await Promise.all([auth.login(), auth.login(), auth.login(), auth.login()]);
  assert.equal(new Set(results.map((r) => r.token)).size, 1);
  assert.equal(wx.issuedCodes.length, 1);
  assert.equal(wx.made('login/').length, 1);
  assert.equal(await sessionsCreated(results[0].user.id), 1);
  assert.equal(auth.token, results[0].token);
  assert.equal(wx.getStorageSync('wxlogin').token, results[0].token);
  assert.equal(results[0].created, true);
});

test('the global wx is used when none is passed, and storageKey names the storage', async () => {
  const wx = createWx({ user: uniqueUser('g') });
  globalThis.wx = wx;
  try {
    const auth = createClient({ baseURL: BASE_URL, storageKey: 'session' });
    const { token } = await auth.login();
    assert.equal(wx.getStorageSync('session').token, token);
    assert.equal(wx.getStorageSync('wxlogin'), '');
  } finally {
    delete globalThis.wx;
  }
});

test('app names the mini program in the body of POST login/', async () => {
  const { auth } = device({ app: 'wx0000000000000000' });
  const { token } = await auth.login();
  assert.equal(await statusWith(`${BASE_URL}profile/`, token), 200);
  const stranger = device({ app: 'nosuchapp' });
  const error = await rejection(stranger.auth.login());
  assert.equal(error.code, 'unknown_app');
  assert.equal(error.status, 400);
  assert.equal(stranger.auth.token, null);
});

test('409 duplicate_code: a second client on the same storage takes the first one\'s login',
  async () => {
    const user = uniqueUser('d');
    const code = `${user}.same`;
    const wx = createWx({ user, codes: [code, code] });
    const first = createClient({ baseURL: BASE_URL, wx });
    const second = createClient({ baseURL: BASE_URL, wx });
    const [a, b] = await Promise.all([first.login(), second.login()]);
    assert.equal(a.token, b.token);
    assert.deepEqual(wx.made('login/').map((c) => c.status).sort(), [200, 409]);
    assert.equal(wx.issuedCodes.length, 2);
    assert.equal(await sessionsCreated(a.user.id), 1);
  });

test('409 duplicate_code with no other login to wait for: a fresh code, then a token',
  async () => {
    const user = uniqueUser('d');
    const code = `${user}.reused`;
    const { wx, auth } = device({ user, codes: [code, code] });
    const first = await auth.login();
    const second = await auth.login();
    assert.notEqual(second.token, first.token);
    assert.deepEqual(wx.made('login/').map((c) => c.status), [200, 409, 200]);
    assert.equal(await sessionsCreated(first.user.id), 2);
  });

describe('WeChat busy or rate-limited', { concurrency: true }, () => {
  test('503 wechat_unavailable: Retry-After is honoured, then a fresh code logs in', async () => {
    const { wx, auth } = device({ codes: ['err.-1'] });
    const { token, user } = await auth.login();
    assert.deepEqual(wx.made('login/').map((c) => c.status), [503, 200]);
    assert.equal(wx.issuedCodes.length, 2);
    assert.equal(auth.token, token);
    assert.equal(await sessionsCreated(user.id), 1);
  });

  test('503 past maxRetries: a typed error, after exactly 1 + maxRetries attempts', async () => {
    const { wx, auth } = device({ codes: ['err.-1', 'err.-1'], maxRetries: 1 });
    const error = await rejection(auth.login());
    assert.ok(error instanceof WxLoginError);
    assert.equal(error.code, 'wechat_unavailable');
    assert.equal(error.status, 503);
    assert.equal(error.retryAfter, 5);
    assert.ok(error.detail.length > 0);
    assert.equal(wx.made('login/').length, 2);
    assert.equal(wx.issuedCodes.length, 2);
    assert.equal(auth.token, null);
  });

  test('429 wechat_rate_limited asks for a minute: no spinner that long, an error now',
    async () => {
      const { wx, auth } = device({ codes: ['err.45011'] });
      const error = await rejection(auth.login());
      assert.equal(error.code, 'wechat_rate_limited');
      assert.equal(error.status, 429);
      assert.equal(error.retryAfter, 60);
      assert.equal(wx.made('login/').length, 1);
    });
});

test('429 throttled by the login rate: a typed error with Retry-After, nothing retried',
  async () => {
    // The throttled server allows two logins a minute from one address, counted in windows of
    // a whole minute: start no later than 30 s into one, so that all three logins land in it
    // even on a slow machine.
    const intoWindow = (Date.now() / 1000) % 60;
    if (intoWindow > 30) {
      await new Promise((resolve) => setTimeout(resolve, (60.5 - intoWindow) * 1000));
    }
    for (let i = 0; i < 2; i++) {
      const { auth } = device({ baseURL: THROTTLED_URL });
      await auth.login();
    }
    const { wx, auth } = device({ baseURL: THROTTLED_URL });
    const error = await rejection(auth.login());
    assert.equal(error.code, 'throttled');
    assert.equal(error.status, 429);
    assert.ok(error.retryAfter > 0 && error.retryAfter <= 60, `Retry-After ${error.retryAfter}`);
    assert.equal(wx.made('login/').length, 1);
    assert.equal(wx.issuedCodes.length, 1);
    assert.equal(auth.token, null);
  });

test('wx.login failing is a typed error, and nothing is posted', async () => {
  const wx = createWx({});
  const auth = createClient({ baseURL: BASE_URL, wx });
  const error = await rejection(auth.login());
  assert.equal(error.code, 'wx_login_failed');
  assert.equal(error.status, 0);
  assert.equal(wx.calls.length, 0);
});

test('a login racing a logout: the logout wins, and the late token is revoked', async () => {
  const { wx, auth } = device();
  /** @type {any} */
  let answered = null;
  wx.beforeAnswer = async (call, data) => {
    if (call.path.endsWith('/wx/login/')) {
      answered = data;
      await auth.logout(); // the user taps 退出 while the login's answer is on its way
    }
  };
  const error = await rejection(auth.login());
  wx.beforeAnswer = null;
  assert.equal(error.code, 'logged_out');
  assert.equal(auth.token, null);
  assert.equal(wx.getStorageSync('wxlogin'), '');
  assert.equal(await sessionsCreated(answered.user.id), 1);
  assert.equal(await liveSessions(answered.user.id), 0);
  assert.equal(await statusWith(`${BASE_URL}profile/`, answered.token), 401);
  assert.equal(wx.made('logout/')[0].auth, `Bearer ${answered.token}`);

  // Nothing logs in by itself after a logout: a request goes without a token.
  const refused = await rejection(auth.request({ url: '/wx/profile/' }));
  assert.equal(refused.code, 'not_authenticated');
  assert.equal(wx.made('login/').length, 1);
  // Until the app calls login().
  const { token } = await auth.login();
  assert.equal((await auth.request({ url: '/wx/profile/' })).statusCode, 200);
  assert.equal(auth.token, token);
});

test('a re-login racing a logout: the request fails with logged_out, nothing is stored',
  async () => {
    const { wx, auth } = device();
    const first = await auth.login();
    // Another device's login kills this token (SINGLE_SESSION), then the re-login of the
    // request below races the user's logout.
    await loginElsewhere(BASE_URL, `${wx.user}.elsewhere`);
    wx.beforeAnswer = async (call) => {
      if (call.path.endsWith('/wx/login/')) await auth.logout();
    };
    const error = await rejection(auth.request({ url: '/wx/profile/' }));
    wx.beforeAnswer = null;
    assert.equal(error.code, 'logged_out');
    assert.equal(auth.token, null);
    // Our re-login had ended the other device's session (SINGLE_SESSION), and its own token
    // was revoked when it lost to the logout: nothing of the user is alive.
    assert.equal(await liveSessions(first.user.id), 0);
    assert.equal(await sessionsCreated(first.user.id), 3);
    assert.equal(wx.made('login/').length, 2);
  });

test('logout() clears storage and kills the token on the server', async () => {
  const { wx, auth } = device();
  const { token, user } = await auth.login();
  await auth.logout();
  assert.equal(wx.getStorageSync('wxlogin'), '');
  assert.equal(auth.token, null);
  assert.equal(wx.made('logout/')[0].status, 204);
  assert.equal(await statusWith(`${BASE_URL}profile/`, token), 401);
  assert.equal(await liveSessions(user.id), 0);
  await auth.logout(); // nothing stored: nothing to do, no error
  assert.equal(wx.made('logout/').length, 1);
});

test('no answer at all is a network_error; logout() clears storage even then', async () => {
  const { wx, auth } = device({ baseURL: 'http://127.0.0.1:1/wx/' }); // nothing listens there
  const error = await rejection(auth.login());
  assert.equal(error.code, 'network_error');
  assert.equal(error.status, 0);
  wx.setStorageSync('wxlogin', { token: 'kept.from-before', expires_at: '', user: { id: 1 } });
  assert.equal(auth.token, 'kept.from-before');
  const failed = await rejection(auth.logout());
  assert.equal(failed.code, 'network_error');
  assert.equal(wx.getStorageSync('wxlogin'), '');
  assert.equal(auth.token, null);
});
