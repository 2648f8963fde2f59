// Scan to log in, the mini program's side, against the example project: the code a browser
// shows, decoded; describe, confirm and cancel with the person's token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { device, rejection } from './support/fixtures.mjs';
import { browser } from './support/scan.mjs';

test('describe() shows the asking browser, confirm() logs it in once', async () => {
  const site = await browser();
  const { wx, auth } = device();
  await auth.login();
  const shown = await auth.scan.describe(encodeURIComponent(site.scene));
  assert.equal(shown.state, 'scanned');
  assert.equal(shown.user_agent, 'NodeBrowser/1.0');
  assert.equal(shown.ip_address, '127.0.0.1');
  assert.ok(shown.expires_in > 0 && shown.expires_in <= 120);
  assert.ok(Date.parse(shown.requested_at) <= Date.now());
  assert.equal(await site.status(), 'scanned');
  await auth.scan.confirm(site.scene);
  assert.equal(await site.status(), 'confirmed');
  const [describe] = wx.made(`scan/${site.scene}/`);
  assert.equal(describe.method, 'GET');
  const replay = await rejection(auth.scan.confirm(site.scene));
  assert.equal(replay.code, 'scan_used');
  assert.equal(replay.status, 409);
  const poll = site.cookies.get('wxlogin_scan');
  const first = await site.claim();
  assert.equal(first.status, 200);
  assert.equal(first.body.state, 'delivered');
  assert.ok(site.cookies.get('wxlogin_session'), 'the session cookie is set');
  assert.equal(site.cookies.get('wxlogin_scan'), undefined, 'the poll cookie is dropped');
  site.cookies.set('wxlogin_scan', poll);  // replayed: the ticket gave its session already
  assert.equal((await site.claim()).body.code, 'scan_used');
});

test('cancel() ends the ticket; the browser sees it', async () => {
  const site = await browser();
  const { auth } = device();
  await auth.login();
  await auth.scan.describe(site.scene);
  await auth.scan.cancel(site.scene);
  assert.equal(await site.status(), 'cancelled');
  assert.equal((await rejection(auth.scan.confirm(site.scene))).code, 'scan_cancelled');
});

test('a code opened from a forwarded screenshot is refused', async () => {
  const site = await browser();
  const { wx, auth } = device();
  wx.launchScene = 1049;
  await auth.login();
  const refused = await rejection(auth.scan.describe(site.scene));
  assert.equal(refused.code, 'scan_forwarded');
  assert.equal(refused.status, 403);
  assert.equal(await site.status(), 'issued');
});

test('another user cannot take a scanned code; an unknown scene is a 404', async () => {
  const site = await browser();
  const first = device();
  const second = device();
  await first.auth.scan.describe(site.scene);
  assert.equal((await rejection(second.auth.scan.describe(site.scene))).code, 'scan_taken');
  assert.equal((await rejection(second.auth.scan.describe('NoSuchScene'))).status, 404);
  assert.equal((await rejection(first.auth.scan.describe(''))).code, 'invalid_scene');
});
