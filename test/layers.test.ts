/**
 * The layer rule (eslint.config.js, docs/architecture.md): a wrong import fails the lint.
 * Lints text as if it were a file of the folder, with the project's own config.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('what each folder may import', () => {
  it('refuses an upward import (the book importing node, node importing state)', async () => {
    expect(await restricted('src/book/x.ts', "import { a } from '../node/parse.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await restricted('src/node/x.ts', "import { a } from '../state/feed.js';\nexport const b = a;\n")).toHaveLength(1);
    expect(await restricted('src/client/modules/x.ts', "import { a } from '../../server/session.js';\nexport const b = a;\n")).toHaveLength(1);
  });

  it('accepts the imports the layers allow', async () => {
    expect(
      await restricted('src/state/x.ts', "import { a } from '../node/parse.js';\nimport { c } from '../book/books.js';\nexport const b = [a, c];\n"),
    ).toEqual([]);
    expect(
      await restricted('src/connector/x.ts', "import { a } from '../client/index.js';\nimport { c } from '../sign/index.js';\nexport const b = [a, c];\n"),
    ).toEqual([]);
    expect(
      await restricted('src/cli/x.ts', "import { a } from '../server/index.js';\nimport { c } from '../sim/index.js';\nexport const b = [a, c];\n"),
    ).toEqual([]);
  });

  it('lets the server reach the client only for the wire shapes and error texts', async () => {
    expect(await restricted('src/server/x.ts', "import { a } from '../client/protocol-errors.js';\nexport const b = a;\n")).toEqual([]);
    expect(await restricted('src/server/user/x.ts', "import type { a } from '../../client/protocol.js';\nexport type b = a;\n")).toEqual([]);
    expect(await restricted('src/server/x.ts', "import { a } from '../client/core/runner.js';\nexport const b = a;\n")).toHaveLength(1);
  });

  it('keeps the book and util pure: no Node modules', async () => {
    expect(await restricted('src/book/x.ts', "import { readFileSync } from 'node:fs';\nexport const b = readFileSync;\n")).toHaveLength(1);
    expect(await restricted('src/util/x.ts', "import { a } from '../book/decimal.js';\nexport const b = a;\n")).toHaveLength(1);
  });
});
