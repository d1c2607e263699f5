/**
 * `hattama audit verify`: recomputes the audit log's hash chain from the first entry
 * and names the first broken one (an edited, deleted or inserted row).
 */
import { createLogger, loadConfigWith } from '../../core/index.ts';
import { AuditLog, Catalog, createRepositories } from '../../storage/index.ts';
import { EXIT } from '../run-command.ts';

const PROBLEM_TEXT = {
  'hash-mismatch': 'its content does not match its hash (edited)',
  'prev-hash-mismatch':
    'it does not link to the entry before it (an entry was inserted, deleted or edited before it)',
  'seq-gap': 'the entry with this number is missing (deleted)',
} as const;

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
    const repos = createRepositories(catalog.db);
    const result = await new AuditLog(repos.auditLog, {
      now: () => Date.now(),
      sleep: async () => undefined,
    }).verify();
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else if (result.ok) {
      process.stdout.write(`OK: ${result.entries} audit entries, chain head ${result.head}\n`);
    } else {
      process.stdout.write(
        `BROKEN at entry ${result.brokenAt}: ${PROBLEM_TEXT[result.problem]}; ${result.entries} entries before it are intact\n`,
      );
    }
    return result.ok ? EXIT.ok : EXIT.checkFailed;
  } finally {
    await catalog.close();
  }
}
