export { Catalog, type CatalogOptions, type CatalogDb } from './catalog.ts';
export type { CatalogDialect } from './dialect.ts';
export { MIGRATIONS } from './migrations/index.ts';
export * from './schema.ts';
export * from './repositories/index.ts';
