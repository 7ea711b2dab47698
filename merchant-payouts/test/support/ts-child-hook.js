/*
 * Preloaded (`node -r`) by the child processes of the fault test: compiles TypeScript on the fly and maps
 * `@coinstile/<workspace>[/<sub>]` to `<workspace>/src[/<sub>]`, as jest does, so children run the same
 * sources as the test (no build needed, never a stale dist). Compiled files are cached on disk by content
 * hash, so the processes the test restarts again and again start in about a second.
 */
'use strict';
const Module = require('node:module');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const cacheDir = path.join(os.tmpdir(), `coinstile-ts-child-cache-${process.getuid ? process.getuid() : 'user'}`);
fs.mkdirSync(cacheDir, { recursive: true });

let ts;
function transpile(source, filename) {
  ts ??= require('typescript');
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  }).outputText;
}

require.extensions['.ts'] = function (module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, filename);
    const temp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temp, output);
    fs.renameSync(temp, cached);
  }
  module._compile(output, filename);
};

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const match = /^@coinstile\/([^/]+)(?:\/(.*))?$/.exec(request);
  if (match) request = path.join(root, match[1], 'src', match[2] ?? '');
  return resolve.call(this, request, parent, ...rest);
};
