/** Opens a fresh, migrated catalog per test run: a temp SQLite file or a PostgreSQL schema. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Catalog, type CatalogDialect } from '../../storage/catalog/index.ts';
import { TEST_PG_URL, runId } from './services.ts';

export interface TestCatalog {
  catalog: Catalog;
  /** Closes the catalog and removes its file or schema. */
  dispose(): Promise<void>;
}

export async function openTestCatalog(
  dialect: CatalogDialect,
  options: { migrate?: boolean } = {},
): Promise<TestCatalog> {
  let catalog: Catalog;
  let remove: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hattama-catalog-'));
    catalog = await Catalog.open({ dialect: 'sqlite', path: path.join(dir, 'catalog.sqlite') });
    remove = async () => fs.rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = runId('t_');
    catalog = await Catalog.open({ dialect: 'postgres', url: TEST_PG_URL, schema });
    remove = () => dropPgSchema(schema);
  }
  if (options.migrate !== false) await catalog.migrate();
  return {
    catalog,
    async dispose() {
      await catalog.close();
      await remove();
    },
  };
}

export async function dropPgSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
