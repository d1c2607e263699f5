// The court module's public surface: the access policy, the service that decides and
// audits, hearings, segment registration and the hearing's end, and copies' rules. Every
// adapter (web, the workers, the coming protocol and transcriber) goes through it; cases,
// courts and terminals, and the changes a second administrator approves, too.
export * from './policy/index.ts';
export * from './requester.ts';
export * from './recorder-commands.ts';
export * from './access.service.ts';
export * from './hearings.service.ts';
export * from './recorder-nodes.service.ts';
export * from './segment-registration.ts';
export * from './copies.service.ts';
export * from './copy.job.ts';
export * from './hearing-desk.service.ts';
export * from './audit-reads.service.ts';
export * from './hearing-reads.service.ts';
export * from './cases.service.ts';
export * from './courts.service.ts';
export * from './approvals.service.ts';
export * from './playback.service.ts';
export * from './accounts/errors.ts';
export * from './accounts/passwords.ts';
export * from './accounts/sessions.ts';
export * from './accounts/users.service.ts';
export * from './accounts/demo-users.ts';
export * from './accounts/api-token-account.ts';
export * from './accounts/account-changes.ts';
export * from './create-court.ts';
