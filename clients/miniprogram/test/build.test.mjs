// The published files: ES5 JavaScript (mini-program runtimes without a compile step still run
// it), declarations a TypeScript mini program compiles against, and nothing else in the tarball.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from './support/config.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const ts = require('typescript');
const DIST = join(PACKAGE_ROOT, 'dist');
const SOURCES = ['client', 'errors', 'index', 'scan', 'types', 'wx'];

const NEWER_SYNTAX = new Map([
  [ts.SyntaxKind.ArrowFunction, 'an arrow function'],
  [ts.SyntaxKind.ClassDeclaration, 'a class'],
  [ts.SyntaxKind.ClassExpression, 'a class'],
  [ts.SyntaxKind.TemplateExpression, 'a template literal'],
  [ts.SyntaxKind.NoSubstitutionTemplateLiteral, 'a template literal'],
  [ts.SyntaxKind.TaggedTemplateExpression, 'a tagged template'],
  [ts.SyntaxKind.SpreadElement, 'a spread'],
  [ts.SyntaxKind.SpreadAssignment, 'an object spread'],
  [ts.SyntaxKind.ForOfStatement, 'for...of'],
  [ts.SyntaxKind.YieldExpression, 'a generator'],
  [ts.SyntaxKind.AwaitExpression, 'await'],
  [ts.SyntaxKind.ObjectBindingPattern, 'destructuring'],
  [ts.SyntaxKind.ArrayBindingPattern, 'destructuring'],
  [ts.SyntaxKind.ComputedPropertyName, 'a computed property name'],
  [ts.SyntaxKind.ShorthandPropertyAssignment, 'a shorthand property'],
  [ts.SyntaxKind.MethodDeclaration, 'a shorthand method'],
  [ts.SyntaxKind.MetaProperty, 'new.target or import.meta'],
  [ts.SyntaxKind.ImportDeclaration, 'an ES module import'],
  [ts.SyntaxKind.ExportDeclaration, 'an ES module export'],
  [ts.SyntaxKind.ExportAssignment, 'an ES module export'],
  [ts.SyntaxKind.QuestionDotToken, 'optional chaining'],
  [ts.SyntaxKind.QuestionQuestionToken, '??'],
  [ts.SyntaxKind.AsteriskAsteriskToken, '**'],
  [ts.SyntaxKind.BigIntLiteral, 'a BigInt'],
  [ts.SyntaxKind.AsyncKeyword, 'async'],
]);

/** What in `code` is newer than ES5, as "line: what". */
function newerThanES5(name, code) {
  const source = ts.createSourceFile(name, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found = [];
  const report = (node, what) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${name}:${line + 1}: ${what}`);
  };
  const visit = (node) => {
    if (NEWER_SYNTAX.has(node.kind)) report(node, NEWER_SYNTAX.get(node.kind));
    if (ts.isVariableDeclarationList(node) && node.flags & ts.NodeFlags.BlockScoped) {
      report(node, 'let/const');
    }
    if (ts.isParameter(node) && (node.initializer || node.dotDotDotToken)) {
      report(node, 'a default or rest parameter');
    }
    if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.asteriskToken) {
      report(node, 'a generator');
    }
    if (ts.isRegularExpressionLiteral(node) && /\/[a-z]*[uys][a-z]*$/.test(node.text)) {
      report(node, 'a regular expression flag newer than ES5');
    }
    if (ts.isNumericLiteral(node) && /^0[bo]|_/i.test(node.getText(source))) {
      report(node, 'a binary, octal or separated number');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the build emits one ES5 file and one declaration file per source module', () => {
  const files = readdirSync(DIST).sort();
  assert.deepEqual(files, SOURCES.flatMap((name) => [`${name}.d.ts`, `${name}.js`]).sort());
  const problems = SOURCES.flatMap((name) => newerThanES5(`${name}.js`,
    readFileSync(join(DIST, `${name}.js`), 'utf8')));
  assert.deepEqual(problems, []);
});

test('the ES5 check finds what is newer than ES5', () => {
  const code = 'const a = (b) => `${b}`; let {c} = d; class E {} for (const f of g) {}\n'
    + 'var h = { i() {}, [j]: 1, k }; async function l(m = 1, ...n) { await m; }\n'
    + 'var o = p?.q ?? 2 ** 3; var r = /s/u; function* t() { yield 1; } var u = 0b1;';
  const found = newerThanES5('sample.js', code).map((line) => line.split(': ')[1]);
  for (const what of ['an arrow function', 'a template literal', 'let/const', 'destructuring',
    'a class', 'for...of', 'a shorthand method', 'a computed property name',
    'a shorthand property', 'async', 'a default or rest parameter', 'await',
    'optional chaining', '??', '**', 'a regular expression flag newer than ES5', 'a generator',
    'a binary, octal or separated number']) {
    assert.ok(found.includes(what), what);
  }
  assert.deepEqual(newerThanES5('es5.js', 'var a = function (b) { return b + 1; };'), []);
});

test('a TypeScript mini program compiles against the published declarations', async () => {
  const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run(process.execPath, [tsc, '-p', join('test', 'types', 'tsconfig.json')],
    { cwd: PACKAGE_ROOT }).catch((error) => error);
  assert.equal(result.stdout, '');
  assert.equal(result.code, undefined);
});

test('npm pack ships the build, the READMEs and nothing else', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'],
    { cwd: PACKAGE_ROOT });
  const [{ name, files }] = JSON.parse(stdout);
  assert.equal(name, 'django-wxlogin-miniprogram');
  assert.deepEqual(files.map((file) => file.path).sort(), [
    'README.md', 'README.zh-CN.md',
    ...SOURCES.flatMap((source) => [`dist/${source}.d.ts`, `dist/${source}.js`]),
    'package.json',
  ].sort());
  const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies, undefined); // zero runtime dependencies
  assert.equal(manifest.main, 'dist/index.js');
  assert.equal(manifest.types, 'dist/index.d.ts');
});

test('the package exports createClient and a WxLoginError that instanceof recognises', () => {
  const library = require(join(DIST, 'index.js'));
  assert.deepEqual(Object.keys(library).sort(),
    ['CLIENT_CODES', 'WxLoginError', 'createClient', 'underReview']);
  /** @type {any} */
  const error = new library.WxLoginError('throttled', 'slow down', 429, 30, { code: 'throttled' });
  assert.deepEqual([error.name, error.code, error.detail, error.status, error.retryAfter],
    ['WxLoginError', 'throttled', 'slow down', 429, 30]);
  assert.equal(error.message, 'slow down');
  assert.ok(error instanceof library.WxLoginError);
  assert.ok(error instanceof Error);
  assert.throws(() => library.createClient({ baseURL: 'api.example.com/wx/', wx: {} }),
    (/** @type {any} */ thrown) => thrown instanceof library.WxLoginError
      && thrown.code === 'invalid_url');
  assert.throws(() => library.createClient({ baseURL: 'https://api.example.com/wx/' }),
    /no global wx/);
});
