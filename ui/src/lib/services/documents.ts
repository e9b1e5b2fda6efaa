import type { Content, DocumentRecord } from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * Documents attached to a chart (PDFs and images). The bytes travel as base64; the engine
 * finds the media type from them and refuses files over its limit with `too_large`.
 */
export function listDocuments(ctx: ServiceContext, patient: string): Promise<DocumentRecord[]> {
  return ctx.backend.call('document.list', { patient, include_retracted: true });
}

export function documentContent(ctx: ServiceContext, id: string): Promise<Content> {
  return ctx.backend.call('document.content', { id });
}

export async function addDocument(
  ctx: ServiceContext,
  patient: string,
  file: { name: string; bytes: Uint8Array },
  today: Date = new Date(),
): Promise<DocumentRecord> {
  const rec = await ctx.backend.call('document.add', {
    patient,
    title: file.name,
    date: today.toISOString().slice(0, 10),
    content: toBase64(file.bytes),
  });
  ctx.events.emit('record-saved', { kind: 'document', patient, id: rec.id });
  return rec;
}

export async function retractDocument(
  ctx: ServiceContext,
  patient: string,
  id: string,
  reason: string,
): Promise<DocumentRecord> {
  const rec = await ctx.backend.call('document.retract', { id, reason });
  ctx.events.emit('record-saved', { kind: 'document', patient, id });
  return rec;
}

/** Standard base64, in chunks so a large file does not overflow the argument list. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

export function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Only what the viewer can show inline (and the engine accepts). */
export function acceptable(type: string): boolean {
  return type === 'application/pdf' || type.startsWith('image/');
}

export function sizeLabel(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A chosen or dropped file's bytes (FileReader: every webview has it). */
export function readBytes(file: Blob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsArrayBuffer(file);
  });
}
