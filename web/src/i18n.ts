import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, ko, type MessageKey } from './messages';

export type Lang = 'en' | 'ko';
export const LANGS: readonly Lang[] = ['en', 'ko'];
const KEY = 'fcfs.lang';

/** The stored choice, else the browser's first language we speak, else English. */
export function initialLang(): Lang {
  const stored = localStorage.getItem(KEY);
  if (stored === 'en' || stored === 'ko') return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ko' || base === 'en') return base;
  }
  return 'en';
}

export function rememberLang(lang: Lang): void {
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const table = lang === 'ko' ? ko : en;
  return (key, params) => table[key].replace(/\{(\w+)\}/g, (_, name: string) => String(params?.[name] ?? `{${name}}`));
}

export interface I18n {
  lang: Lang;
  t: Translate;
  setLang(lang: Lang): void;
  /** A date and time in the reader's language and time zone. */
  date(iso: string): string;
}

export const I18nContext = createContext<I18n>({ lang: 'en', t: translator('en'), setLang: () => undefined, date: (iso) => iso });

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** "1:02:03", "2:03" or "0:05": a countdown's remaining time. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.ceil(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, '0');
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`;
  return `${minutes}:${seconds}`;
}
