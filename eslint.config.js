import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layer rule (docs/architecture.md, "What each folder may import"): which of our folders
 * and top-level modules each folder of `src/` may import. A folder not named here may import
 * anything (give a new folder its line). Everything is checked on relative import paths.
 */
const MAY_IMPORT = {
  util: ['errors'],
  book: ['errors', 'util'],
  node: ['book', 'errors', 'util', 'metrics'],
  state: ['node', 'book', 'errors', 'util', 'metrics'],
  server: ['state', 'node', 'book', 'errors', 'util', 'metrics', 'client (protocol.ts, protocol-errors.ts: the wire shapes and error texts)'],
  cluster: ['server', 'state', 'node', 'book', 'errors', 'util', 'metrics', 'config', 'log', 'client (core/pending-replies.ts: the one reply matcher)'],
  nats: ['state', 'node', 'book', 'errors', 'util', 'metrics', 'log'],
  client: ['book', 'errors', 'util'],
  connector: ['client', 'sign', 'book', 'errors', 'util'],
  sign: ['errors', 'util'],
  sim: ['book', 'sign', 'node (format.ts: the node file formats)', 'errors', 'util'],
  load: ['errors', 'util'],
  web: ['client', 'book', 'errors', 'util'],
  cli: ['*'],
};

/** Our folders and top-level modules of `src/`, as import paths name them. */
const FOLDERS = ['util', 'book', 'node', 'state', 'server', 'cluster', 'nats', 'client', 'connector', 'sign', 'sim', 'load', 'web', 'cli'];
const MODULES = ['errors', 'metrics', 'config', 'log', 'index'];

/** Where a folder may reach into a forbidden folder all the same: only these files. */
const EXCEPTIONS = {
  server: { client: '(?:protocol|protocol-errors)\\.js$' },
  sim: { node: 'format\\.js$' },
  cluster: { client: 'core/pending-replies\\.js$' },
};

function layerRule(folder) {
  const allowed = new Set(MAY_IMPORT[folder].map((a) => a.split(' ')[0]));
  if (allowed.has('*')) return [];
  const patterns = [];
  const message = `src/${folder} may import only ${MAY_IMPORT[folder].join(', ') || 'itself'} (docs/architecture.md, "What each folder may import").`;
  for (const other of FOLDERS) {
    if (other === folder || allowed.has(other)) continue;
    patterns.push({ regex: `^(?:\\.\\./)+${other}/`, message });
  }
  for (const [other, files] of Object.entries(EXCEPTIONS[folder] ?? {})) {
    patterns.push({ regex: `^(?:\\.\\./)+${other}/(?!${files})`, message });
  }
  const modules = MODULES.filter((m) => !allowed.has(m));
  if (modules.length > 0) patterns.push({ regex: `^(?:\\.\\./)+(?:${modules.join('|')})\\.js$`, message });
  if (PURE.includes(folder)) patterns.push(NO_IO);
  return patterns;
}

/** The pure layers: no I/O, no process (the book by design; util and errors.ts are in the browser bundle too). */
const PURE = ['book', 'util'];
const NO_IO = {
  regex: '^node:|^(?:fs|net|http|https|child_process|worker_threads|pino|ws)$',
  message: 'src/book, src/util and src/errors.ts are pure: no I/O, no Node modules.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...Object.keys(MAY_IMPORT)
    .map((folder) => ({ folder, patterns: layerRule(folder) }))
    .filter(({ patterns }) => patterns.length > 0)
    .map(({ folder, patterns }) => ({
      files: [`src/${folder}/**/*.ts`],
      rules: { 'no-restricted-imports': ['error', { patterns }] },
    })),
  {
    files: ['src/errors.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.', message: 'src/errors.ts imports nothing of ours.' }, NO_IO] }] },
  },
);
