// deleteAccount(): a fresh wx.login() proves the person, every session ends, the client forgets
// its token, and a login within the grace period cancels the closure and says so.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveSessions, statusWith } from './support/backend.mjs';
import { BASE_URL, device, rejection } from './support/fixtures.mjs';
import { uniqueUser } from './support/wx-shim.mjs';

test('deleteAccount() closes the account with a fresh code and ends every session', async () => {
  const { wx, auth } = device();
  const first = await auth.login();
  const closure = await auth.deleteAccount();
  assert.equal(closure.state, 'pending');
  assert.ok(Date.parse(closure.erase_after) > Date.now());
  assert.equal(wx.issuedCodes.length, 2); // the login's, then the proof's
  assert.deepEqual(wx.made('account/delete/').map((c) => c.status), [202]);
  assert.equal(auth.token, null);
  assert.equal(await statusWith(`${BASE_URL}profile/`, first.token), 401);
  assert.equal(await liveSessions(first.user.id), 0);
  // Back within the grace period: the closure is cancelled, and the login says so.
  const back = await auth.login();
  assert.equal(back.closure_cancelled, true);
  assert.equal(back.user.id, first.user.id);
  const again = await auth.login();
  assert.equal(again.closure_cancelled, false);
});

test('deleteAccount() refuses a code of another WeChat user, or a password the account lacks',
  async () => {
    const user = uniqueUser('a');
    const { wx, auth } = device({ user, codes: [`${user}.mine`, `${uniqueUser('m')}.theirs`] });
    await auth.login();
    const stranger = await rejection(auth.deleteAccount());
    assert.equal(stranger.code, 'reauthentication_failed');
    assert.equal(stranger.status, 403);
    const password = await rejection(auth.deleteAccount({ password: 'guess' }));
    assert.equal(password.code, 'reauthentication_failed');
    assert.deepEqual(wx.made('account/delete/').map((c) => c.status), [403, 403]);
    assert.notEqual(auth.token, null);
    assert.equal(await statusWith(`${BASE_URL}profile/`, auth.token), 200);
  });
