// Where the tests find Python, PostgreSQL and Redis; CI points these elsewhere by env.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const PACKAGE_ROOT = resolve(here, '..', '..');
export const REPO_ROOT = resolve(PACKAGE_ROOT, '..', '..');
export const SETTINGS_DIR = join(PACKAGE_ROOT, 'test', 'server');

export const PYTHON = process.env.PYTHON || 'python3';
export const DATABASE_URL = process.env.WXLOGIN_CLIENT_TEST_DATABASE_URL
  || 'postgres://postgres@127.0.0.1:5432/wt_client';
export const REDIS_URL = process.env.WXLOGIN_CLIENT_TEST_REDIS_URL || 'redis://127.0.0.1:6379/2';
export const MEDIA_ROOT = process.env.WXLOGIN_CLIENT_TEST_MEDIA_ROOT || '/tmp/media-client';
export const APPID = 'wx0000000000000000';

/** The example project's environment: ours only, nothing inherited that could change it. */
export function serverEnv(extra = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(WXLOGIN_|DJANGO_|DATABASE_URL$|REDIS_URL$)/.test(name)) env[name] = value;
  }
  return {
    ...env,
    PYTHONPATH: [REPO_ROOT, SETTINGS_DIR, process.env.PYTHONPATH].filter(Boolean).join(':'),
    DJANGO_SETTINGS_MODULE: 'wxlogin_client_test_settings',
    WXLOGIN_CLIENT_TEST_MEDIA_ROOT: MEDIA_ROOT,
    DATABASE_URL,
    REDIS_URL,
    DJANGO_DEBUG: 'true',
    // The fake WeChat: opted into explicitly (and started anyway while API_BASE_URL is unset).
    WXLOGIN_FAKE_WECHAT: '1',
    WXLOGIN_LOGIN_RATE: '',
    ...extra,
  };
}
