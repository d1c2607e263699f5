/**
 * `hattama audit verify`: recomputes the audit log's hash chain from the first entry
 * and names the first broken one (an edited, deleted or inserted row).
 */
import { createLogger, loadConfigWith } from '../../core/index.ts';
import {
  AuditLog,
  Catalog,
  createRepositories,
  type AuditVerifyResult,
  type Repositories,
} from '../../storage/index.ts';
import { EXIT } from '../run-command.ts';

const PROBLEM_TEXT = {
  'hash-mismatch': 'its content does not match its hash (edited)',
  'prev-hash-mismatch':
    'it does not link to the entry before it (an entry was inserted, deleted or edited before it)',
  'seq-gap': 'the entry with this number is missing (deleted)',
} as const;

/**
 * Recomputes the chain of the catalog's audit log. The command below and the test
 * harnesses (which check every hub they close) share it, so they judge a log alike.
 */
export async function verifyAuditChain(repos: Pick<Repositories, 'auditLog'>): Promise<AuditVerifyResult> {
  // Verifying reads and hashes only; the clock is never asked.
  return new AuditLog(repos.auditLog, { now: () => Date.now(), sleep: async () => undefined }).verify();
}

/** The command's one-line answer. */
export function auditVerifyText(result: AuditVerifyResult): string {
  return result.ok
    ? `OK: ${result.entries} audit entries, chain head ${result.head}`
    : `BROKEN at entry ${result.brokenAt}: ${PROBLEM_TEXT[result.problem]}; ${result.entries} entries before it are intact`;
}

export async function auditVerifyCommand(options: { dataDir?: string; json?: boolean }): Promise<number> {
  const config = loadConfigWith(options.dataDir === undefined ? {} : { HATTAMA_DATA_DIR: options.dataDir });
  const logger = createLogger({ level: 'warn' });
  const catalog = await Catalog.open(
    config.catalog === 'sqlite'
      ? { dialect: 'sqlite', path: config.sqlitePath }
      : { dialect: 'postgres', url: config.databaseUrl!, schema: config.databaseSchema },
    logger,
  );
  try {
    await catalog.migrate();
    const result = await verifyAuditChain(createRepositories(catalog.db));
    process.stdout.write(`${options.json ? JSON.stringify(result) : auditVerifyText(result)}\n`);
    return result.ok ? EXIT.ok : EXIT.checkFailed;
  } finally {
    await catalog.close();
  }
}
