import { describe, expect, it } from 'vitest';
import { CARD_LINE_WIDTH, humanUtc, noticeCardLines, noticeText, watermarkLines, wrap } from './notice.ts';

const INPUT = {
  viewerName: 'Сәрсенбаев Ғалым',
  hearing: { id: 'h-1', caseNumber: '2-1234/2026', title: 'О взыскании долга' },
  issuedAt: Date.parse('2026-03-01T09:15:02.345Z'),
};

describe('the lawful-use notice', () => {
  it('names the viewer, the hearing and the issue time in ru, kk and en in the text file', () => {
    const text = noticeText({ ...INPUT, sha256: 'a'.repeat(64), fileName: 'c-1.mp4' });
    expect(text).toContain('[ru] УВЕДОМЛЕНИЕ');
    expect(text).toContain('[kk] ЗАҢДЫ ПАЙДАЛАНУ ТУРАЛЫ ХАБАРЛАМА');
    expect(text).toContain('[en] NOTICE ON LAWFUL USE');
    expect(text).toContain('Копия выдана: Сәрсенбаев Ғалым, 2026-03-01 09:15:02 UTC.');
    expect(text).toContain('Көшірме берілді: Сәрсенбаев Ғалым, 2026-03-01 09:15:02 UTC.');
    expect(text).toContain('Copy issued to: Сәрсенбаев Ғалым, 2026-03-01 09:15:02 UTC.');
    expect(text).toContain('персональные данные');
    expect(text).toContain('дербес деректер');
    expect(text).toContain('personal data');
    expect(text.match(new RegExp('a'.repeat(64), 'g'))).toHaveLength(3);
    expect(text).toContain('c-1.mp4');
    expect(text).toContain('The whole recording of the hearing.');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('states a partial range and the sealed parts left out', () => {
    const text = noticeText({
      ...INPUT,
      range: { fromMs: Date.parse('2026-03-01T09:00:00Z'), toMs: Date.parse('2026-03-01T09:10:00Z') },
      sealedPartsLeftOut: true,
    });
    expect(text).toContain('Part of the recording: from 2026-03-01 09:00:00 UTC to 2026-03-01 09:10:00 UTC.');
    expect(text).toContain('Закрытые части заседания в копию не включены.');
    expect(text).not.toContain('SHA-256');
  });

  it('puts the notice on the card in three languages, wrapped, without the hash', () => {
    const lines = noticeCardLines(INPUT);
    expect(lines).toContain('УВЕДОМЛЕНИЕ О ПРАВОМЕРНОМ ИСПОЛЬЗОВАНИИ');
    expect(lines).toContain('ЗАҢДЫ ПАЙДАЛАНУ ТУРАЛЫ ХАБАРЛАМА');
    expect(lines).toContain('NOTICE ON LAWFUL USE');
    expect(lines.every((l) => [...l].length <= CARD_LINE_WIDTH)).toBe(true);
    expect(lines.filter((l) => l.includes('Сәрсенбаев Ғалым'))).toHaveLength(3);
  });

  it('keeps a hostile name on one line of the watermark', () => {
    expect(watermarkLines({ ...INPUT, viewerName: "A\nB %{pts} 'C'" })).toEqual([
      "A B %{pts} 'C'",
      '№ 2-1234/2026 · h-1',
      '2026-03-01 09:15:02 UTC',
    ]);
  });

  it('wraps on words and formats times in UTC', () => {
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(humanUtc(0)).toBe('1970-01-01 00:00:00 UTC');
  });
});
