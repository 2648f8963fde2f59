// The README as a newcomer pastes it: its install block run on a copy of this package with no
// dist/ (as a fresh clone has), and its snippets compiled against the installed tarball and the
// real typings of `wx`, `App`, `Page` (miniprogram-api-typings) and `Taro` (@tarojs/taro 4).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from './support/config.mjs';

const run = promisify(execFile);
const READMES = ['README.md', 'README.zh-CN.md'];
// Pages that give the same install block: the documentation site's, in both languages.
const INSTALLING = [...READMES, '../../docs/en/miniprogram.md', '../../docs/zh/miniprogram.md'];
const COPIED = ['src', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json',
  ...READMES];
// A block's first line names its file: "// app.js", "// Taro: src/utils/auth.ts".
const FILE_NAME = /^\/\/ (?:(\S+?)[:：] ?)?(\S+\.(?:js|ts))$/;

const work = mkdtempSync(join(tmpdir(), 'wxlogin-readme-'));
const project = join(work, 'miniprogram');

/** The fenced blocks of a README in one of `languages`, as [language, code]. */
function blocks(readme, languages) {
  const text = readFileSync(join(PACKAGE_ROOT, readme), 'utf8');
  return [...text.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)]
    .filter(([, language]) => languages.includes(language))
    .map(([, language, code]) => [language, code]);
}

before(async () => {
  const clone = join(work, 'django-wxlogin', 'clients', 'miniprogram');
  for (const name of COPIED) cpSync(join(PACKAGE_ROOT, name), join(clone, name), { recursive: true });
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{"name": "my-miniprogram", "private": true}\n');
});

after(() => rmSync(work, { recursive: true, force: true }));

test("the README's install block packs a fresh copy and installs the tarball", async () => {
  const install = INSTALLING.map((page) => blocks(page, ['sh'])
    .map(([, code]) => code).find((code) => code.includes('npm pack')));
  assert.ok(install[0], 'README.md has no npm pack block');
  INSTALLING.forEach((page, index) => assert.equal(install[index], install[0], page));
  const script = install[0].replaceAll('~/django-wxlogin', join(work, 'django-wxlogin'));
  await run('bash', ['-c', `set -euo pipefail\n${script}`], { cwd: project, timeout: 300_000 });
  const installed = join(project, 'node_modules', 'django-wxlogin-miniprogram');
  assert.ok(existsSync(join(installed, 'dist', 'index.d.ts')), 'no declarations installed');
  const { stdout } = await run(process.execPath, ['-e',
    "console.log(typeof require('django-wxlogin-miniprogram').createClient)"], { cwd: project });
  assert.equal(stdout.trim(), 'function');
});

test("the README's snippets compile under strict against the real typings", async () => {
  for (const name of ['@tarojs', 'miniprogram-api-typings']) {
    symlinkSync(join(PACKAGE_ROOT, 'node_modules', name), join(project, 'node_modules', name));
  }
  const files = [];
  for (const readme of READMES) {
    const folder = join(project, readme.replace(/\W/g, '-'));
    blocks(readme, ['js', 'ts']).forEach(([language, code], index) => {
      // "If you must write it yourself" is a sketch on bare wx, not a use of this package.
      if (!code.includes('django-wxlogin-miniprogram') && !code.includes('auth.')) return;
      const named = FILE_NAME.exec(code.split('\n')[0]);
      // Unnamed blocks are pieces of a page: they run in a function, with the client at hand.
      const file = named ? join(folder, named[1] || '', named[2]) : join(folder, `snippet-${index}.${language}`);
      const text = named ? code : "const { auth } = require('./utils/auth')\n"
        + "const API = 'https://api.example.com/wx/'\n"
        + `module.exports.snippet = async function () {\n${code}}\n`;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      files.push(file);
    });
  }
  // uni-app's API has wx's shape; its own typings (@dcloudio/types) are not checked here.
  writeFileSync(join(project, 'uni.d.ts'), 'declare const uni: WechatMiniprogram.Wx\n');
  const typescript = files.filter((file) => file.endsWith('.ts'));
  assert.ok(typescript.length >= 2 && files.length >= 12, files.join('\n'));
  // TypeScript under the whole of strict; JavaScript too, but for noImplicitAny (plain JS
  // cannot annotate an event handler's parameter).
  const javascript = files.filter((file) => file.endsWith('.js'));
  for (const { config, chosen, noImplicitAny } of [
    { config: 'tsconfig.ts.json', chosen: typescript, noImplicitAny: true },
    { config: 'tsconfig.js.json', chosen: javascript, noImplicitAny: false }]) {
    writeFileSync(join(project, config), JSON.stringify({
      compilerOptions: {
        strict: true, noImplicitAny, allowJs: true, checkJs: true, noEmit: true,
        target: 'ES2018', module: 'CommonJS', moduleResolution: 'node', esModuleInterop: true,
        // Taro's declarations refer to its optional peers (webpack, vue...): not ours to check.
        skipLibCheck: true, types: ['miniprogram-api-typings'],
      },
      files: ['uni.d.ts', ...chosen],
    }));
    const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', config], { cwd: project })
      .catch((error) => error);
    assert.equal(result.code ?? 0, 0, `${config}\n${result.stdout}${result.stderr}`);
  }
});
