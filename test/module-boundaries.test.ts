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

describe('the court and media layers', () => {
  it('refuses the court module importing an adapter', async () => {
    const messages = await restrictedPathMessages(
      'court/deliberate-violation.ts',
      "import { createHub } from '../web/index.ts';\nexport const h = createHub;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/court\/ may not import web\//);
  });

  it('refuses media importing the court module above it', async () => {
    const messages = await restrictedPathMessages(
      'media/deliberate-violation.ts',
      "import { decide } from '../court/index.ts';\nexport const d = decide;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/media\/ may not import court\//);
  });

  it("refuses the recorder node reaching the court's rules", async () => {
    const messages = await restrictedPathMessages(
      'recorder/deliberate-violation.ts',
      "import { decide } from '../court/index.ts';\nexport const d = decide;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/recorder\/ may not import court\//);
  });

  it('lets adapters use the court and media modules through their index.ts', async () => {
    expect(
      await restrictedPathMessages(
        'web/fine.ts',
        "import { decide } from '../court/index.ts';\nexport const d = decide;\n",
      ),
    ).toEqual([]);
    expect(
      await restrictedPathMessages(
        'recorder/fine.ts',
        "import { FfmpegProcess } from '../media/index.ts';\nexport const f = FfmpegProcess;\n",
      ),
    ).toEqual([]);
  });
});

describe('one door to the evidence', () => {
  async function restrictedImportMessages(filePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  it('refuses a repository imported into web/', async () => {
    for (const name of ['Repositories', 'HearingsRepository', 'cachedReads']) {
      const messages = await restrictedImportMessages(
        'web/routes/deliberate-violation.ts',
        `import { ${name} } from '../../storage/index.ts';\nexport const r = ${name};\n`,
      );
      expect(messages, name).toHaveLength(1);
      expect(messages[0]).toMatch(/court module's services/);
    }
  });

  it('lets web/ import what is not a repository from storage', async () => {
    expect(
      await restrictedImportMessages(
        'web/routes/fine.ts',
        "import { UrlSigner } from '../../storage/index.ts';\nexport const u = UrlSigner;\n",
      ),
    ).toEqual([]);
  });
});
