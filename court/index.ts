// The court module's public surface: the access policy, the service that decides and
// audits, hearings, segment registration and the hearing's end, and copies' rules. Every
// adapter (web, the workers, the coming protocol and transcriber) goes through it.
export * from './policy/index.ts';
export * from './requester.ts';
export * from './recorder-commands.ts';
export * from './access.service.ts';
export * from './hearings.service.ts';
export * from './segment-registration.ts';
export * from './copy.job.ts';
export * from './playback.service.ts';
