// Copies handed out to parties and judges: the plan, the ffmpeg arguments, the notice and
// the maker. Who may have a copy is the court module's rule; this only makes the file.
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
