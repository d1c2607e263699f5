/**
 * Who asks and from where, as the adapters hand it to the court's services. The web
 * adapter builds it from a session and the request's socket; nothing in `court/` reads
 * HTTP. A person is always named: there is no "nobody, so allow".
 */
import type { UserRole } from '../storage/index.ts';

/** A logged-in account, as the court's rules see it. */
export interface Person {
  id: string;
  login: string;
  displayName: string;
  role: UserRole;
}

/** Where a request comes from: the peer's address and an on-site terminal's token, if any. */
export interface Origin {
  /** The peer's IP address as the socket gives it (no proxy headers are trusted). */
  address: string | null;
  /** The token an on-site terminal presents; counts only from inside the court network. */
  terminalToken?: string | undefined;
}
