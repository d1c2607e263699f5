// The review player's server side: HLS playlists, their service, and the hub-signed /objects route.
export { hlsJsFile } from './assets.ts';
export {
  CREDENTIALLESS_ACTION,
  CredentiallessGuard,
  type CredentiallessGuardOptions,
} from './credentialless-guard.ts';
export { MIN_COMPRESSED_BYTES, acceptsGzip, gzipOnce } from './compressed-body.ts';
export { HearingMediaCache, type CacheableHearing, type HearingRows } from './hearing-media-cache.ts';
export {
  GAP_TOLERANCE_MS,
  HLS_CONTENT_TYPE,
  buildTimeline,
  masterPlaylist,
  mediaPlaylist,
  positionFor,
  sharedTimeline,
  wallClockAt,
  type MasterTrack,
  type TimeRange,
  type TimelineSegment,
} from './hls-playlists.ts';
export {
  PlaylistService,
  buildHearingPlaylists,
  mainTrackOf,
  type HearingMedia,
  type HearingTimeline,
  type PlaylistSegment,
  type PlaylistServiceOptions,
  type PlaylistTrack,
} from './playlist.service.ts';
export {
  contentTypeFor,
  parseRange,
  signedObjectsRoutes,
  type BoundSession,
  type ObjectGuard,
  type ObjectRefusal,
  type ServedObject,
  type SignedObjectsOptions,
} from './signed-objects.routes.ts';
