// The access policy's public surface: the rules (decide) and where a request comes from.
export {
  ACTIONS,
  HEARING_ACTIONS,
  REFUSAL_REASONS,
  ROLES,
  SYSTEM_ACTIONS,
  decide,
  isSystemAction,
  sealedPartsOf,
  type Action,
  type Allowed,
  type Assignment,
  type CaseLink,
  type DecideInput,
  type Decision,
  type HearingAction,
  type HearingFacts,
  type Place,
  type RefusalReason,
  type Refused,
  type Role,
  type SystemAction,
  type TimeRange,
  type Viewer,
  type Visibility,
} from './access-policy.ts';
export { createOnSiteMatcher, isOnSite, parseCourtNetwork, placeOf, type CourtNetwork } from './on-site.ts';
export { AccessRefusedError, ensureAllowed } from './access-refused.ts';
