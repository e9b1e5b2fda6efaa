import { describe, expect, it } from 'vitest';
import { ipsLabels, ipsLanguageFor, ipsLanguages, ipsLocale, languageName } from './ips-labels';

describe("choosing the labels from the patient's language", () => {
  it('goes by the primary subtag of a BCP 47 tag', () => {
    expect(ipsLanguageFor('es-MX')).toEqual({ language: 'es', missing: null });
    expect(ipsLanguageFor('pt-BR')).toEqual({ language: 'pt', missing: null });
    expect(ipsLanguageFor('zh-Hans-CN')).toEqual({ language: 'zh', missing: null });
    expect(ipsLanguageFor('vi')).toEqual({ language: 'vi', missing: null });
    expect(ipsLanguageFor(' FR_ca ')).toEqual({ language: 'fr', missing: null });
  });

  it('reads ISO 639-2 and -3 codes', () => {
    expect(ipsLanguageFor('ita').language).toBe('it');
    expect(ipsLanguageFor('spa').language).toBe('es');
    expect(ipsLanguageFor('ger').language).toBe('de');
    expect(ipsLanguageFor('ara').language).toBe('ar');
  });

  it("reads a language's name typed in place of a code", () => {
    expect(ipsLanguageFor('Spanish').language).toBe('es');
    expect(ipsLanguageFor('Tiếng Việt').language).toBe('vi');
  });

  it('falls back to English, naming the language that has no labels', () => {
    expect(ipsLanguageFor('xx')).toEqual({ language: 'en', missing: 'xx' });
    expect(ipsLanguageFor('ko')).toEqual({ language: 'en', missing: 'Korean' });
    expect(ipsLanguageFor('Klingon, please')).toEqual({
      language: 'en',
      missing: 'Klingon, please',
    });
    expect(ipsLanguageFor('constructor')).toEqual({ language: 'en', missing: 'constructor' });
    // No language recorded is English with nothing to say.
    expect(ipsLanguageFor(null)).toEqual({ language: 'en', missing: null });
    expect(ipsLanguageFor('  ')).toEqual({ language: 'en', missing: null });
  });

  it('writes dates in the patient’s own variant of the language when it is valid', () => {
    expect(ipsLocale('es', 'es-MX')).toBe('es-MX');
    expect(ipsLocale('es', 'es')).toBe('es');
    expect(ipsLocale('en', 'es-MX')).toBe('en');
    expect(ipsLocale('zh', 'zh')).toBe('zh-Hans');
    expect(ipsLocale('ar', 'ar-EG')).toBe('ar-u-nu-latn');
  });

  it('names languages in English for the notice', () => {
    expect(languageName('ko')).toBe('Korean');
    expect(languageName('hi')).toBe('Hindi');
  });
});

describe('the label table', () => {
  it('covers the nine languages, Arabic right to left and the others left to right', () => {
    expect([...ipsLanguages].sort()).toEqual(
      ['ar', 'de', 'en', 'es', 'fr', 'it', 'pt', 'vi', 'zh'].sort(),
    );
    for (const code of ipsLanguages) {
      expect(ipsLabels[code].dir).toBe(code === 'ar' ? 'rtl' : 'ltr');
    }
  });

  it('has every label filled in every language', () => {
    const holes: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (typeof v === 'string') {
        if (!v.trim()) holes.push(path);
      } else if (v && typeof v === 'object') {
        for (const [k, c] of Object.entries(v)) walk(c, `${path}.${k}`);
      }
    };
    for (const code of ipsLanguages) walk(ipsLabels[code], code);
    expect(holes).toEqual([]);
  });

  it('translates the titles: no section title left in English', () => {
    const english = ipsLabels.en.sections;
    for (const code of ipsLanguages.filter((c) => c !== 'en')) {
      const same = Object.entries(ipsLabels[code].sections).filter(
        ([k, v]) => english[k as keyof typeof english] === v,
      );
      expect(same, code).toEqual([]);
      expect(ipsLabels[code].title).not.toBe(ipsLabels.en.title);
    }
  });
});
