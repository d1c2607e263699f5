/**
 * The lawful-use and personal-data notice every copy carries (docs/architecture.md: "every copy
 * handed out carries a notice that it may be used only lawfully and that personal data is
 * protected"), in the court's languages (ru, kk) and English: as the title card of the
 * video and, in full, as a UTF-8 text file beside it. Only the text file holds the copy's
 * SHA-256 — the video cannot contain its own hash.
 *
 * The wording follows the Law of the Republic of Kazakhstan "On Personal Data and Their
 * Protection" by name; a court's legal department should confirm it before production.
 */
import { textLine } from './copy-args.ts';

export type NoticeLanguage = 'ru' | 'kk' | 'en';
export const NOTICE_LANGUAGES: readonly NoticeLanguage[] = ['ru', 'kk', 'en'];

export interface NoticeHearing {
  id: string;
  caseNumber: string;
  title: string;
}

export interface NoticeInput {
  viewerName: string;
  hearing: NoticeHearing;
  /** When the copy was issued, UTC epoch ms. */
  issuedAt: number;
  /** Hex SHA-256 of the MP4; only for the text file. */
  sha256?: string;
  /** The MP4's file name as the viewer receives it, named beside the hash. */
  fileName?: string;
  /** The wall-clock range copied, UTC epoch ms; absent = the whole recording. */
  range?: { fromMs: number; toMs: number };
  /** Whether closed (sealed) parts were left out of the copy. */
  sealedPartsLeftOut?: boolean;
}

interface Wording {
  heading: string;
  lawfulUse: string;
  personalData: string;
  distribution: string;
  issuedTo(name: string, at: string): string;
  hearing(caseNumber: string, title: string, id: string): string;
  range(from: string, to: string): string;
  whole: string;
  sealedLeftOut: string;
  sha256(fileName: string, hash: string): string;
  howToCheck: string;
}

const WORDING: Record<NoticeLanguage, Wording> = {
  ru: {
    heading: 'УВЕДОМЛЕНИЕ О ПРАВОМЕРНОМ ИСПОЛЬЗОВАНИИ',
    lawfulUse:
      'Настоящая копия аудио-, видеозаписи судебного заседания может быть использована только в соответствии с законом.',
    personalData:
      'Запись содержит персональные данные, охраняемые Законом Республики Казахстан «О персональных данных и их защите».',
    distribution:
      'Распространение копии и содержащихся в ней персональных данных без законных оснований запрещено и влечёт ответственность, установленную законом.',
    issuedTo: (name, at) => `Копия выдана: ${name}, ${at}.`,
    hearing: (c, t, id) => `Дело № ${c}: ${t} (заседание ${id}).`,
    range: (from, to) => `Фрагмент записи: с ${from} по ${to}.`,
    whole: 'Запись заседания полностью.',
    sealedLeftOut: 'Закрытые части заседания в копию не включены.',
    sha256: (file, hash) => `SHA-256 файла копии ${file}: ${hash}`,
    howToCheck: 'Проверка: sha256sum <файл> (Linux, macOS) или certutil -hashfile <файл> SHA256 (Windows).',
  },
  kk: {
    heading: 'ЗАҢДЫ ПАЙДАЛАНУ ТУРАЛЫ ХАБАРЛАМА',
    lawfulUse: 'Сот отырысының аудио-, бейнежазбасының осы көшірмесі тек заңға сәйкес пайдаланылуы мүмкін.',
    personalData:
      'Жазбада Қазақстан Республикасының «Дербес деректер және оларды қорғау туралы» Заңымен қорғалатын дербес деректер бар.',
    distribution:
      'Көшірмені және ондағы дербес деректерді заңды негізсіз таратуға тыйым салынады және ол заңда белгіленген жауаптылыққа әкеп соғады.',
    issuedTo: (name, at) => `Көшірме берілді: ${name}, ${at}.`,
    hearing: (c, t, id) => `№ ${c} іс: ${t} (отырыс ${id}).`,
    range: (from, to) => `Жазба үзіндісі: ${from} бастап ${to} дейін.`,
    whole: 'Отырыстың толық жазбасы.',
    sealedLeftOut: 'Отырыстың жабық бөліктері көшірмеге енгізілмеген.',
    sha256: (file, hash) => `Көшірме файлының SHA-256 (${file}): ${hash}`,
    howToCheck: 'Тексеру: sha256sum <файл> (Linux, macOS) немесе certutil -hashfile <файл> SHA256 (Windows).',
  },
  en: {
    heading: 'NOTICE ON LAWFUL USE',
    lawfulUse:
      'This copy of the audio and video recording of a court hearing may be used only in accordance with the law.',
    personalData:
      'The recording contains personal data protected by the Law of the Republic of Kazakhstan "On Personal Data and Their Protection".',
    distribution:
      'Distributing this copy or the personal data it contains without a lawful basis is prohibited and entails liability established by law.',
    issuedTo: (name, at) => `Copy issued to: ${name}, ${at}.`,
    hearing: (c, t, id) => `Case No. ${c}: ${t} (hearing ${id}).`,
    range: (from, to) => `Part of the recording: from ${from} to ${to}.`,
    whole: 'The whole recording of the hearing.',
    sealedLeftOut: 'Closed parts of the hearing are not included in this copy.',
    sha256: (file, hash) => `SHA-256 of the copy file ${file}: ${hash}`,
    howToCheck: 'To check: sha256sum <file> (Linux, macOS) or certutil -hashfile <file> SHA256 (Windows).',
  },
};

/** `2026-03-01 09:15:02 UTC`: the time as people read it on the card and the watermark. */
export function humanUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Greedy word wrap; a word longer than `width` gets a line of its own. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line === '') line = word;
    else if ([...line].length + 1 + [...word].length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function clean(input: Pick<NoticeInput, 'viewerName' | 'hearing' | 'issuedAt'>): {
  name: string;
  hearing: NoticeHearing;
  at: string;
} {
  return {
    name: textLine(input.viewerName),
    hearing: {
      id: textLine(input.hearing.id),
      caseNumber: textLine(input.hearing.caseNumber),
      title: textLine(input.hearing.title),
    },
    at: humanUtc(input.issuedAt),
  };
}

/** Characters per line of the title card: ~1000 px of DejaVu Sans at the card's font size. */
export const CARD_LINE_WIDTH = 80;

/** The title card: the notice in ru, kk and en, wrapped for the frame. */
export function noticeCardLines(input: Omit<NoticeInput, 'sha256' | 'fileName'>): string[] {
  const { name, hearing, at } = clean(input);
  const lines: string[] = [...wrap(`№ ${hearing.caseNumber} · ${hearing.title}`, CARD_LINE_WIDTH)];
  for (const lang of NOTICE_LANGUAGES) {
    const w = WORDING[lang];
    lines.push('', w.heading);
    for (const p of [w.lawfulUse, w.personalData, w.distribution, w.issuedTo(name, at)])
      lines.push(...wrap(p, CARD_LINE_WIDTH));
  }
  return lines;
}

/** The watermark over every frame of the hearing: who, which hearing, when (UTC). */
export function watermarkLines(input: Pick<NoticeInput, 'viewerName' | 'hearing' | 'issuedAt'>): string[] {
  const { name, hearing, at } = clean(input);
  return [name, `№ ${hearing.caseNumber} · ${hearing.id}`, at];
}

/** The side text file (UTF-8, LF line ends): the full notice in all three languages. */
export function noticeText(input: NoticeInput): string {
  const { name, hearing, at } = clean(input);
  const fileName = textLine(input.fileName ?? `${hearing.id}.mp4`);
  const blocks: string[] = [];
  for (const lang of NOTICE_LANGUAGES) {
    const w = WORDING[lang];
    const lines = [
      `[${lang}] ${w.heading}`,
      '',
      w.lawfulUse,
      w.personalData,
      w.distribution,
      '',
      w.hearing(hearing.caseNumber, hearing.title, hearing.id),
      input.range ? w.range(humanUtc(input.range.fromMs), humanUtc(input.range.toMs)) : w.whole,
      ...(input.sealedPartsLeftOut ? [w.sealedLeftOut] : []),
      w.issuedTo(name, at),
      ...(input.sha256 ? [w.sha256(fileName, input.sha256), w.howToCheck] : []),
    ];
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n----------------------------------------\n\n')}\n`;
}
