/**
 * The ordered list of catalog migrations. Append only: a migration that has shipped
 * is never edited, because catalogs in courts have already run it.
 */
import type { Kysely } from 'kysely';
import type { CatalogDialect } from '../dialect.ts';
import * as m0001 from './0001-initial.ts';
import * as m0002 from './0002-accounts.ts';
import * as m0003 from './0003-copies.ts';
import * as m0004 from './0004-hearing-speakers.ts';
import * as m0005 from './0005-copies-voided.ts';
import * as m0006 from './0006-approvals.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Up = (db: Kysely<any>, dialect: CatalogDialect) => Promise<void>;

export const MIGRATIONS: readonly { name: string; up: Up }[] = [
  { name: '0001-initial', up: m0001.up },
  { name: '0002-accounts', up: m0002.up },
  { name: '0003-copies', up: m0003.up },
  { name: '0004-hearing-speakers', up: m0004.up },
  { name: '0005-copies-voided', up: m0005.up },
  { name: '0006-approvals', up: m0006.up },
];
