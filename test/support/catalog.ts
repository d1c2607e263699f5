/** Opens a fresh, migrated catalog per test run: a temp SQLite file or a PostgreSQL schema. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  Catalog,
  type CatalogDialect,
  type NewHearing,
  type Repositories,
} from '../../storage/catalog/index.ts';
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

/**
 * A scheduled open hearing in room-1 with nothing recorded, created and updated at `at`:
 * the row catalog tests insert, with what a test cares about given in `overrides`.
 */
export function hearingRow(id: string, at: number, overrides: Partial<NewHearing> = {}): NewHearing {
  return {
    id,
    courtroom_id: 'room-1',
    case_number: '2-1/2026',
    title: id,
    judge: 'Judge',
    visibility: 'open',
    language: 'ru',
    state: 'scheduled',
    scheduled_at: null,
    started_at: null,
    stopped_at: null,
    manifest_key: null,
    manifest_sha256: null,
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** Court `court` with courtroom `room` and civil case `case` numbered `caseNumber`, all made at `at`. */
export async function seedCourtCase(r: Repositories, at: number, caseNumber: string): Promise<void> {
  await r.courts.insertCourt({ id: 'court', name: 'Court', created_at: at });
  await r.courts.insertCourtroom({ id: 'room', court_id: 'court', name: 'Room 1', created_at: at });
  await r.cases.insertCase({
    id: 'case',
    court_id: 'court',
    number: caseNumber,
    category: 'civil',
    created_at: at,
  });
}
