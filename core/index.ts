export * from './errors.ts';
export * from './config.ts';
export * from './logger.ts';
export * from './clock.ts';
export * from './version.ts';
