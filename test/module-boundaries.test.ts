import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedPathMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'import/no-restricted-paths')
    .map((m) => m.message);
}

describe('module boundaries (lint)', () => {
  it("refuses a module importing another module's inner file", async () => {
    const messages = await restrictedPathMessages(
      'web/deliberate-violation.ts',
      "import { Catalog } from '../storage/catalog/catalog.ts';\nexport const c = Catalog;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/import storage\/index\.ts/);
  });

  it('refuses an import that points up the dependency order', async () => {
    const messages = await restrictedPathMessages(
      'storage/deliberate-violation.ts',
      "import { x } from '../web/index.ts';\nexport const y = x;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/storage\/ may not import web\//);
  });

  it('refuses core importing anything above it', async () => {
    const messages = await restrictedPathMessages(
      'core/deliberate-violation.ts',
      "export * from '../storage/index.ts';\n",
    );
    expect(messages).toHaveLength(1);
  });

  it("allows a module to import a lower module's index.ts", async () => {
    const messages = await restrictedPathMessages(
      'web/fine.ts',
      "import { loadConfig } from '../core/index.ts';\nexport const f = loadConfig;\n",
    );
    expect(messages).toEqual([]);
  });
});
