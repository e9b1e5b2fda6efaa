/**
 * A CDA document (a C-CDA a patient brought, kept whole among the chart's documents) read
 * for people: its title, the patient, when and by whom, and every section's narrative as
 * text, lists and tables. The XML is parsed, never rendered: it is not trusted markup, and
 * nothing in it (scripts, styles, stylesheets, links to elsewhere) is followed or shown as
 * HTML. Everything comes out as plain strings for Svelte to show as text.
 */

const V3 = 'urn:hl7-org:v3';

export type CdaBlock =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; caption: string | null; head: string[]; rows: string[][] };

export interface CdaSection {
  title: string;
  blocks: CdaBlock[];
}

export interface CdaDocument {
  title: string;
  patient: string | null;
  /** The document's effectiveTime, as `YYYY-MM-DD` (or the part of it given). */
  date: string | null;
  author: string | null;
  sections: CdaSection[];
}

/** Why a document cannot be shown. */
export class CdaError extends Error {}

function words(s: string | null | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

function child(el: Element, name: string): Element | null {
  for (const c of Array.from(el.children)) {
    if (c.namespaceURI === V3 && c.localName === name) return c;
  }
  return null;
}

function children(el: Element, name: string): Element[] {
  return Array.from(el.children).filter((c) => c.namespaceURI === V3 && c.localName === name);
}

function personName(el: Element | null): string | null {
  if (!el) return null;
  const parts = ['prefix', 'given', 'family', 'suffix'].flatMap((p) =>
    children(el, p)
      .filter((g) => g.getAttribute('qualifier') !== 'CL')
      .map((g) => words(g.textContent)),
  );
  const name = parts.filter(Boolean).join(' ');
  return name || words(el.textContent) || null;
}

/** `YYYYMMDD...` as `YYYY-MM-DD` (or as much of it as is given). */
export function tsDate(value: string | null): string | null {
  const m = /^(\d{4})(\d{2})?(\d{2})?/.exec(value ?? '');
  if (!m) return null;
  return [m[1], m[2], m[3]].filter(Boolean).join('-');
}

function rowCells(tr: Element): string[] {
  return Array.from(tr.children)
    .filter((c) => c.localName === 'td' || c.localName === 'th')
    .map((c) => words(c.textContent));
}

function table(el: Element): CdaBlock {
  const caption = child(el, 'caption');
  const headRows = children(el, 'thead').flatMap((h) => children(h, 'tr'));
  const bodyRows = [
    ...children(el, 'tbody').flatMap((b) => children(b, 'tr')),
    ...children(el, 'tr'),
  ];
  const first = headRows[0];
  const head = first ? rowCells(first) : [];
  return {
    kind: 'table',
    caption: caption ? words(caption.textContent) : null,
    head,
    rows: [...headRows.slice(1), ...bodyRows].map(rowCells),
  };
}

/** The narrative block's content as text, lists and tables, in order. */
function blocks(text: Element): CdaBlock[] {
  const out: CdaBlock[] = [];
  let loose = '';
  const flush = () => {
    const t = words(loose);
    if (t) out.push({ kind: 'paragraph', text: t });
    loose = '';
  };
  for (const node of Array.from(text.childNodes)) {
    if (node.nodeType === 3 || node.nodeType === 4) {
      loose += ' ' + (node.textContent ?? '');
      continue;
    }
    if (node.nodeType !== 1) continue;
    const el = node as Element;
    switch (el.localName) {
      case 'table':
        flush();
        out.push(table(el));
        break;
      case 'list':
        flush();
        out.push({
          kind: 'list',
          items: children(el, 'item')
            .map((i) => words(i.textContent))
            .filter(Boolean),
        });
        break;
      case 'paragraph':
        flush();
        loose = el.textContent ?? '';
        flush();
        break;
      case 'br':
        flush();
        break;
      case 'renderMultiMedia':
        break;
      default:
        loose += ' ' + (el.textContent ?? '');
    }
  }
  flush();
  return out;
}

function sections(parent: Element, out: CdaSection[]) {
  for (const comp of children(parent, 'component')) {
    const section = child(comp, 'section');
    if (!section) continue;
    const title =
      words(child(section, 'title')?.textContent) ||
      words(child(section, 'code')?.getAttribute('displayName')) ||
      'Section';
    const text = child(section, 'text');
    out.push({ title, blocks: text ? blocks(text) : [] });
    sections(section, out);
  }
}

export function readCda(xml: string): CdaDocument {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const root = doc.documentElement;
  if (doc.getElementsByTagName('parsererror').length > 0 || !root) {
    throw new CdaError('The document is not well-formed XML and cannot be shown.');
  }
  if (root.namespaceURI !== V3 || root.localName !== 'ClinicalDocument') {
    throw new CdaError('This is not an HL7 CDA document.');
  }
  const patient = child(root, 'recordTarget');
  const role = patient ? child(patient, 'patientRole') : null;
  const who = role ? child(role, 'patient') : null;
  const author = child(root, 'author');
  const assigned = author ? child(author, 'assignedAuthor') : null;
  const person = assigned ? child(assigned, 'assignedPerson') : null;
  const org = assigned ? child(assigned, 'representedOrganization') : null;
  const out: CdaSection[] = [];
  const body = child(root, 'component');
  const structured = body ? child(body, 'structuredBody') : null;
  if (structured) sections(structured, out);
  const unstructured = body ? child(body, 'nonXMLBody') : null;
  if (unstructured) {
    out.push({
      title: 'Document body',
      blocks: [
        {
          kind: 'paragraph',
          text: 'The body is not XML (an attached file); it is not shown here.',
        },
      ],
    });
  }
  return {
    title: words(child(root, 'title')?.textContent) || 'Clinical document',
    patient: who ? personName(child(who, 'name')) : null,
    date: tsDate(child(root, 'effectiveTime')?.getAttribute('value') ?? null),
    author:
      personName(person ? child(person, 'name') : null) ??
      (org ? words(child(org, 'name')?.textContent) || null : null),
    sections: out,
  };
}
