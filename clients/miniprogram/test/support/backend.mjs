// What the tests ask of the backend besides HTTP: counts from the database and revocations from
// another process, as an operator would make them.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { APPID, PYTHON, REPO_ROOT, serverEnv } from './config.mjs';

const run = promisify(execFile);

const QUERY = `
import json, os, sys, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    print(json.dumps(conn.execute(sys.argv[1], json.loads(sys.argv[2])).fetchall(), default=str))
`;

async function query(sql, params) {
  const { stdout } = await run(PYTHON, ['-c', QUERY, sql, JSON.stringify(params)],
    { env: serverEnv() });
  return JSON.parse(stdout);
}

/** Sessions the server created for a user (each one a login), revoked or not. */
export async function sessionsCreated(userId) {
  const [[count]] = await query(
    'SELECT count(*) FROM django_wxlogin_wxsession WHERE user_id = %s', [userId]);
  return count;
}

/** The user's sessions that are still accepted. */
export async function liveSessions(userId) {
  const [[count]] = await query(
    'SELECT count(*) FROM django_wxlogin_wxsession WHERE user_id = %s '
    + 'AND revoked_at IS NULL AND expires_at > now()', [userId]);
  return count;
}

/** `manage.py wxlogin_revoke --user ID`: every token of the user dies, in another process. */
export async function revokeUser(userId) {
  await run(PYTHON, ['manage.py', 'wxlogin_revoke', '--user', String(userId)],
    { cwd: REPO_ROOT, env: serverEnv() });
}

/** A login straight over HTTP, as another device of the same WeChat user would make it. */
export async function loginElsewhere(baseURL, code) {
  const response = await fetch(`${baseURL}login/`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }),
  });
  if (response.status !== 200) throw new Error(`login elsewhere: ${response.status}`);
  return response.json();
}

export async function statusWith(url, token) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/**
 * `data` encrypted as WeChat encrypts it for the mini program: AES-128-CBC under the
 * session_key the fake WeChat gives login `code` (base64 of sha256("session_key|appid|code")'s
 * first 16 bytes), with the appid's watermark.
 */
export function encryptedDataFor(code, data) {
  const key = createHash('sha256').update(`session_key|${APPID}|${code}`).digest().subarray(0, 16);
  const iv = randomBytes(16);
  const stamped = { ...data, watermark: { timestamp: Math.floor(Date.now() / 1000), appid: APPID } };
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(stamped)), cipher.final()]);
  return { encryptedData: encrypted.toString('base64'), iv: iv.toString('base64') };
}

/** Deactivates (or reactivates) a user the way the admin does: save(), signals and all. */
export async function setActive(userId, active) {
  const code = 'from django.contrib.auth import get_user_model\n'
    + `user = get_user_model().objects.get(pk=${Number(userId)})\n`
    + `user.is_active = ${active ? 'True' : 'False'}\nuser.save()`;
  await run(PYTHON, ['manage.py', 'shell', '-c', code], { cwd: REPO_ROOT, env: serverEnv() });
}
