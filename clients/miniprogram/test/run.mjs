// The test run: migrate, start the example project under gunicorn (and a second, throttled
// one), run every test file against them with Node's test runner, stop them whatever happens.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './support/config.mjs';
import { dropDatabase, prepareDatabase, startServer } from './support/server.mjs';

// `node test/run.mjs [node --test options] [test/some.test.mjs ...]`: every file by default.
const args = process.argv.slice(2);
const chosen = args.filter((arg) => arg.endsWith('.test.mjs'));
const options = args.filter((arg) => !arg.endsWith('.test.mjs'));
const files = chosen.length ? chosen : readdirSync(join(PACKAGE_ROOT, 'test'))
  .filter((name) => name.endsWith('.test.mjs')).sort()
  .map((name) => join('test', name));
const servers = [];
let runner = null;

async function stopAll() {
  await Promise.all(servers.map((server) => server.stop()));
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (runner) runner.kill(signal);
    await stopAll();
    process.exit(1);
  });
}

let status = 1;
try {
  await prepareDatabase();
  // Login throttling off: the tests log in far more often than a person would.
  servers.push(await startServer({ name: 'main', workers: 2 }));
  // A tight login rate, counted in a per-process cache (one worker) so that no other
  // server's logins count against it: the third login within a minute is a 429.
  servers.push(await startServer({ name: 'throttled', workers: 1,
                                   env: { REDIS_URL: '', WXLOGIN_LOGIN_RATE: '2/min' } }));
  runner = spawn(process.execPath, ['--test', ...options, ...files], {
    cwd: PACKAGE_ROOT,
    stdio: 'inherit',
    env: { ...process.env,
           WXLOGIN_CLIENT_TEST_URL: `${servers[0].url}/wx/`,
           WXLOGIN_CLIENT_TEST_THROTTLED_URL: `${servers[1].url}/wx/` },
  });
  const [code] = await once(runner, 'exit');
  status = code ?? 1;
} catch (error) {
  console.error(error);
} finally {
  await stopAll();
  await dropDatabase().catch((error) => console.error(error));
}
process.exit(status);
