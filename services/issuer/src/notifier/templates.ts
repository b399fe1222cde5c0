import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the e-mail templates live: `services/issuer/templates`, from both `src/notifier` and `dist/notifier`. */
export const DEFAULT_TEMPLATES_DIR = resolve(__dirname, '../../templates');

/** OFFERED (an OFFER_EMAIL row) and EXPIRED come only from events with a claim window. */
export type ResultStatus = 'ISSUED' | 'SOLD_OUT' | 'OFFERED' | 'EXPIRED';

interface Template {
  subject: string;
  text: string;
  html: string;
}

export type ResultTemplates = Record<ResultStatus, Template>;

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface ResultEmailValues {
  eventName: string;
  position: number;
  giftCode?: string | undefined;
  /** OFFERED: the claim deadline, as written in the e-mail (UTC). */
  claimBy?: string | undefined;
}

const FILE_PREFIX: Record<ResultStatus, string> = {
  ISSUED: 'result-issued',
  SOLD_OUT: 'result-sold-out',
  OFFERED: 'result-offered',
  EXPIRED: 'result-expired',
};

/** Reads the templates once, at start-up: a missing file stops the issuer before it sends anything. */
export function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): ResultTemplates {
  const read = (status: ResultStatus, suffix: string) => readFileSync(join(dir, `${FILE_PREFIX[status]}.${suffix}`), 'utf8');
  const load = (status: ResultStatus): Template => ({
    subject: read(status, 'subject.txt'),
    text: read(status, 'text.txt'),
    html: read(status, 'html'),
  });
  return { ISSUED: load('ISSUED'), SOLD_OUT: load('SOLD_OUT'), OFFERED: load('OFFERED'), EXPIRED: load('EXPIRED') };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Replaces each `{{name}}` with `values[name]`, passed through `escape`. A placeholder without a value
 * throws: a template typo must not reach a participant as a literal `{{giftCode}}`.
 */
export function fillTemplate(template: string, values: Record<string, string>, escape: (s: string) => string = (s) => s): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return escape(value);
  });
}

/** The result e-mail for one decided application; the HTML body escapes every value. */
export function renderResultEmail(templates: ResultTemplates, status: ResultStatus, values: ResultEmailValues): RenderedEmail {
  const template = templates[status];
  const fields: Record<string, string> = { eventName: values.eventName, position: String(values.position) };
  if (values.giftCode !== undefined) fields['giftCode'] = values.giftCode;
  if (values.claimBy !== undefined) fields['claimBy'] = values.claimBy;
  return {
    // A subject is one header line: an event name with a line break must not add headers or lines.
    subject: fillTemplate(template.subject, fields).replace(/\s+/g, ' ').trim(),
    text: fillTemplate(template.text, fields),
    html: fillTemplate(template.html, fields, escapeHtml),
  };
}
