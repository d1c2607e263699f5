/**
 * Structured JSON logging (pino). Child loggers carry their context
 * (`hearingId`, `recorderId`, `track`, `seq`), so every line says what it is about.
 * Secrets are redacted by path, whatever object they arrive in.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

/** Fields that never reach a log line, at any depth we log objects. */
export const REDACT_PATHS: readonly string[] = [
  'password',
  'token',
  'secret',
  'secretKey',
  'accessKey',
  'authorization',
  'cookie',
  'databaseUrl',
  'redisUrl',
  'adminToken',
  'recorderToken',
  'urlSigningSecret',
  's3SecretKey',
  's3AccessKey',
  'demoPassword',
  '*.demoPassword',
  '*.password',
  '*.token',
  '*.secret',
  '*.secretKey',
  '*.accessKey',
  '*.authorization',
  '*.cookie',
  '*.databaseUrl',
  '*.redisUrl',
  '*.adminToken',
  '*.recorderToken',
  '*.urlSigningSecret',
  '*.s3SecretKey',
  '*.s3AccessKey',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stderr by default so stdout stays for command output (--json). */
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'hattama',
      level: options.level ?? 'info',
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
