// The storage module's public surface: catalog, objects, jobs and the audit log.
export * from './catalog/index.ts';
export * from './objects/index.ts';
export * from './queue/index.ts';
export * from './audit-log.ts';
export * from './object-verify.job.ts';
export * from './manifest.ts';
export * from './manifest-verify.ts';
