// The other endpoints: profile, avatar upload, phone number, decrypt, sessions, logout all.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  encryptedDataFor, liveSessions, loginElsewhere, sessionsCreated, statusWith,
} from './support/backend.mjs';
import { png } from './support/png.mjs';
import { BASE_URL, ORIGIN, device, rejection, underReview } from './support/fixtures.mjs';

let folder;
before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'wxlogin-client-'));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

test('updateProfile() sets the nickname with a POST (wx.request has no PATCH)', async () => {
  const { wx, auth } = device();
  await auth.login();
  const updated = await auth.updateProfile({ nickname: '  小明 ' });
  assert.equal(updated.nickname, '小明');
  assert.equal((await auth.profile()).nickname, '小明');
  assert.deepEqual(wx.made('profile/').map((c) => [c.method, c.status]),
    [['POST', 200], ['GET', 200]]);
  const error = await rejection(auth.updateProfile({ nickname: 'x'.repeat(65) }));
  assert.equal(error.code, 'invalid_request');
  assert.equal(error.status, 400);
  assert.ok(error.data.errors.nickname);
});

test('a nickname under review: the profile says so, underReview() surfaces it', async () => {
  const { auth } = device();
  await auth.login();
  const published = await auth.updateProfile({ nickname: '小明' });
  assert.deepEqual(published.pending, { nickname: null, avatar: false });
  assert.equal(underReview(published), false);
  const held = await auth.updateProfile({ nickname: '小明 please review' });
  assert.equal(held.nickname, '小明');  // what others see keeps the old one
  assert.deepEqual(held.pending, { nickname: '小明 please review', avatar: false });
  assert.equal(underReview(held), true);
  assert.equal(underReview(await auth.profile()), true);
});

test('uploadAvatar() posts the chooseAvatar file as multipart with the token', async () => {
  const { wx, auth } = device();
  await auth.login();
  const image = png(64, [0, 128, 128]);
  const path = join(folder, 'tmp_avatar.png');
  await writeFile(path, image);
  const profile = await auth.uploadAvatar(path);
  assert.ok(profile.avatar_url);
  const [upload] = wx.made('profile/', 'upload');
  assert.equal(upload.auth, `Bearer ${auth.token}`);
  assert.equal(upload.status, 200);
  const stored = await fetch(new URL(profile.avatar_url, ORIGIN));
  assert.equal(stored.status, 200);
  // The server re-encodes avatars (no metadata survives): the same 64×64 PNG, new bytes.
  const served = Buffer.from(await stored.arrayBuffer());
  assert.deepEqual(served.subarray(0, 8), image.subarray(0, 8));
  assert.deepEqual([served.readUInt32BE(16), served.readUInt32BE(20)], [64, 64]);
  assert.equal((await auth.profile()).avatar_url, profile.avatar_url);
});

test('uploadAvatar() with a dead token logs in again and uploads once more', async () => {
  const { wx, auth } = device();
  const { user } = await auth.login();
  await loginElsewhere(BASE_URL, `${wx.user}.other`);
  const path = join(folder, 'again.png');
  await writeFile(path, png(32, [200, 30, 30]));
  const profile = await auth.uploadAvatar(path);
  assert.ok(profile.avatar_url);
  assert.deepEqual(wx.made('profile/', 'upload').map((c) => c.status), [401, 200]);
  assert.equal(wx.made('login/').length, 2);
  assert.equal(await sessionsCreated(user.id), 3);
});

test('uploadAvatar() of a file that is no image: the server\'s 400, as a typed error', async () => {
  const { auth } = device();
  await auth.login();
  const path = join(folder, 'fake.png');
  await writeFile(path, 'not an image');
  const error = await rejection(auth.uploadAvatar(path));
  assert.equal(error.code, 'invalid_request');
  assert.equal(error.status, 400);
  assert.equal((await auth.profile()).avatar_url, '');
});

test('phoneNumber() trades a getPhoneNumber code and the profile keeps it', async () => {
  const { auth } = device();
  await auth.login();
  const phone = await auth.phoneNumber('phone.13800138000');
  assert.deepEqual(phone, { phone_number: '13800138000', pure_phone_number: '13800138000',
                            country_code: '86' });
  assert.equal((await auth.profile()).phone_number, '13800138000');
  const error = await rejection(auth.phoneNumber('err.40029')); // an expired or used code
  assert.equal(error.code, 'invalid_code');
  assert.equal(error.status, 400);
});

test('decrypt(): a stale session_key costs one fresh login, then data fetched anew decrypts',
  async () => {
    const { wx, auth } = device();
    await auth.login();
    const current = wx.issuedCodes.at(-1);
    assert.deepEqual(await auth.decrypt(encryptedDataFor(current, { stepCount: 42 })),
      { stepCount: 42 });

    // Data WeChat encrypted before a later wx.login replaced the session_key.
    const stale = encryptedDataFor(current, { stepCount: 7 });
    await auth.login();
    const logins = wx.made('login/').length;
    const error = await rejection(auth.decrypt(stale));
    assert.equal(error.code, 'decrypt_failed');
    assert.equal(error.status, 400);
    assert.equal(wx.made('login/').length, logins + 1);
    assert.equal(wx.made('decrypt/').length, 2); // never retried with the same data

    const anew = encryptedDataFor(wx.issuedCodes.at(-1), { stepCount: 7 });
    assert.deepEqual(await auth.decrypt(anew), { stepCount: 7 });
  });

test('sessions() lists this device; revokeSession() ends it; the next call logs in again',
  async () => {
    const { wx, auth } = device();
    const { token, user } = await auth.login();
    const sessions = await auth.sessions();
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].current, true);
    assert.equal(sessions[0].method, 'wechat');
    await auth.revokeSession(sessions[0].id);
    assert.equal(await statusWith(`${BASE_URL}profile/`, token), 401);
    assert.equal((await auth.profile()).id, user.id);
    assert.equal(wx.made('login/').length, 2);
    const missing = await rejection(auth.revokeSession(sessions[0].id));
    assert.equal(missing.code, 'not_found');
    assert.equal(missing.status, 404);
  });

test('logoutAll() ends every session of the user and clears storage', async () => {
  const { wx, auth } = device({ app: 'wx0000000000000000' });
  const { token, user } = await auth.login();
  await auth.logoutAll();
  assert.equal(wx.made('logout/all/')[0].status, 204);
  assert.equal(wx.getStorageSync('wxlogin'), '');
  assert.equal(auth.token, null);
  assert.equal(await statusWith(`${BASE_URL}profile/`, token), 401);
  assert.equal(await liveSessions(user.id), 0);
});
