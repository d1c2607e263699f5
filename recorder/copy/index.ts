// Copies handed out to parties and judges (issue 6, "Copies"): see make-copy.ts for why
// they live in recorder/ (the module that owns ffmpeg) and run in a worker, never in web/.
export {
  COPY_SAMPLE_RATE,
  DEFAULT_COPY_FRAME,
  buildCopySpec,
  concatListText,
  escapeFilterArg,
  parseProgressSeconds,
  type CopyArgsOptions,
  type CopyFrame,
  type CopySpec,
  type CopyTextFile,
} from './copy-args.ts';
export {
  CopyRangeError,
  NothingToCopyError,
  planCopy,
  type CopyPlan,
  type CopyPlanInput,
  type PlanSegment,
} from './copy-plan.ts';
export {
  NOTICE_LANGUAGES,
  noticeCardLines,
  noticeText,
  watermarkLines,
  type NoticeHearing,
  type NoticeInput,
  type NoticeLanguage,
} from './notice.ts';
export {
  CopyFontMissingError,
  DEFAULT_COPY_FONT,
  DEFAULT_NOTICE_SECONDS,
  makeCopy,
  type CopyResult,
  type MakeCopyOptions,
} from './make-copy.ts';
export { copyMakeHandler, type CopyMakeDeps } from './copy.job.ts';
