// request(): the token on every request, one shared re-login on 401, one retry, no loop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  loginElsewhere, revokeUser, sessionsCreated, setActive,
} from './support/backend.mjs';
import { uniqueUser } from './support/wx-shim.mjs';
import { BASE_URL, ORIGIN, device, rejection } from './support/fixtures.mjs';

const profile = { url: '/wx/profile/' };

test('five parallel requests with a dead token make exactly one login', async (t) => {
  const { wx, auth } = device();
  const { token: dead, user } = await auth.login();
  await revokeUser(user.id); // an operator's revocation, from another process
  const before = await sessionsCreated(user.id);
  const responses = await Promise.all([1, 2, 3, 4, 5].map(() => auth.request(profile)));
  const logins = (await sessionsCreated(user.id)) - before;
  t.diagnostic(`server-side logins for five parallel requests with a dead token: ${logins}`);
  assert.equal(logins, 1);
  assert.deepEqual(responses.map((r) => r.statusCode), [200, 200, 200, 200, 200]);
  assert.equal(wx.made('login/').length, 2); // the first login, and the one re-login
  const fresh = `Bearer ${auth.token}`;
  assert.notEqual(auth.token, dead);
  const calls = wx.made('profile/');
  assert.deepEqual(calls.filter((c) => c.status === 401).map((c) => c.auth),
    Array(5).fill(`Bearer ${dead}`));
  assert.deepEqual(calls.filter((c) => c.status === 200).map((c) => c.auth), Array(5).fill(fresh));
});

test('requests made during a re-login wait for it and go with the new token', async () => {
  const { wx, auth } = device();
  const { token: dead, user } = await auth.login();
  await loginElsewhere(BASE_URL, `${wx.user}.other`); // SINGLE_SESSION: ours is dead now
  const queued = [];
  wx.beforeAnswer = async (call) => {
    if (call.path.endsWith('/wx/login/')) {
      for (let i = 0; i < 3; i++) queued.push(auth.request(profile));
    }
  };
  const first = await auth.request(profile);
  wx.beforeAnswer = null;
  const later = await Promise.all(queued);
  assert.deepEqual([first, ...later].map((r) => r.statusCode), [200, 200, 200, 200]);
  const calls = wx.made('profile/');
  assert.equal(calls.length, 5); // one 401, then four with the new token
  assert.deepEqual(calls.map((c) => c.auth),
    [`Bearer ${dead}`, ...Array(4).fill(`Bearer ${auth.token}`)]);
  assert.equal(wx.made('login/').length, 2);
  assert.equal(await sessionsCreated(user.id), 3);
});

test('a 401 after the re-login is an error, never a second login', async () => {
  const { wx, auth } = device();
  const { user } = await auth.login();
  await loginElsewhere(BASE_URL, `${wx.user}.other1`);
  // The other device logs in again right after our re-login: the retry meets a 401 too.
  wx.beforeAnswer = async (call) => {
    if (call.path.endsWith('/wx/login/')) await loginElsewhere(BASE_URL, `${wx.user}.other2`);
  };
  const error = await rejection(auth.request(profile));
  wx.beforeAnswer = null;
  assert.equal(error.code, 'session_expired');
  assert.equal(error.status, 401);
  assert.deepEqual(wx.made('profile/').map((c) => c.status), [401, 401]);
  assert.equal(wx.made('login/').length, 2); // the first login, and one re-login: no more
  assert.equal(await sessionsCreated(user.id), 4); // ours 2, the other device's 2
});

test('SINGLE_SESSION, two devices: each turn costs one login, and nothing loops', async () => {
  const user = uniqueUser('s');
  const phone = device({ user });
  const pad = device({ user });
  const { user: { id } } = await phone.auth.login();
  await pad.auth.login(); // the phone's token is dead now
  for (const [turn, { wx, auth }] of [phone, pad, phone, pad].entries()) {
    const logins = wx.made('login/').length;
    assert.equal((await auth.request(profile)).statusCode, 200, `turn ${turn}`);
    assert.equal(wx.made('login/').length, logins + 1, `turn ${turn}`);
  }
  assert.equal(await sessionsCreated(id), 6);

  // Both at once: each may lose its fresh token to the other's re-login, but each makes at
  // most one login and two requests, then answers or fails.
  const counts = [phone, pad].map(({ wx }) => [wx.made('login/').length, wx.made('profile/').length]);
  const outcomes = await Promise.allSettled([phone, pad].map(({ auth }) => auth.request(profile)));
  [phone, pad].forEach(({ wx }, i) => {
    assert.ok(wx.made('login/').length - counts[i][0] <= 1);
    assert.ok(wx.made('profile/').length - counts[i][1] <= 2);
    const outcome = outcomes[i];
    if (outcome.status === 'rejected') assert.equal(outcome.reason.status, 401);
    else assert.equal(outcome.value.statusCode, 200);
  });
});

test('user_inactive: an error at once, no re-login', async () => {
  const { wx, auth } = device();
  const { user } = await auth.login();
  await setActive(user.id, false);
  try {
    const error = await rejection(auth.request(profile));
    assert.equal(error.code, 'user_inactive');
    assert.equal(wx.made('login/').length, 1);
    assert.equal(wx.made('profile/').length, 1);
  } finally {
    await setActive(user.id, true);
  }
});

test('with no token yet, request() logs in first', async () => {
  const { wx, auth } = device();
  const response = await auth.request({ url: `${BASE_URL}profile/` });
  assert.equal(response.statusCode, 200);
  assert.equal(response.data.openid.length > 0, true);
  assert.deepEqual(wx.calls.map((c) => [c.path, c.status]),
    [['/wx/login/', 200], ['/wx/profile/', 200]]);
  assert.equal(wx.calls[1].auth, `Bearer ${auth.token}`);
});

test('request() answers other statuses as they are, with their headers', async () => {
  const { auth } = device();
  const response = await auth.request({ url: '/wx/sessions/999999999999/', method: 'DELETE',
                                        header: { 'Accept-Language': 'zh-hans' } });
  assert.equal(response.statusCode, 404);
  assert.equal(response.data.code, 'not_found');
  assert.match(response.data.detail, /[\u4e00-\u9fff]/); // the header reached the server
  assert.match(response.header['Content-Type'], /application\/json/);
});

test('the token goes to baseURL\'s origin only', async () => {
  const { wx, auth } = device();
  await auth.login();
  for (const url of ['https://evil.example/wx/profile/', '//evil.example/x', 'profile/',
                     `${ORIGIN}.evil.example/wx/profile/`]) {
    const error = await rejection(auth.request({ url }));
    assert.equal(error.code, 'invalid_url', url);
  }
  const own = await auth.request({ url: `${ORIGIN}/wx/profile/`,
                                   header: { authorization: 'Bearer forged' } });
  assert.equal(own.statusCode, 200);
  assert.equal(wx.calls.at(-1).auth, `Bearer ${auth.token}`);
  assert.equal(wx.made('profile/').length, 1);
});
