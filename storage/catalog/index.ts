export { Catalog, type CatalogOptions, type CatalogDb } from './catalog.ts';
export type { CatalogDialect } from './dialect.ts';
export { UNTRACKED_CHANGES, type CatalogChanges } from './catalog-changes.ts';
export { cachedReads, type CachedReadsOptions } from './cached-reads.ts';
export { MIGRATIONS } from './migrations/index.ts';
export * from './schema.ts';
export * from './repositories/index.ts';
