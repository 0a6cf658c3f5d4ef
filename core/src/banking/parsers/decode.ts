import { TextDecoder } from 'node:util';
import { unreadable } from './problems.js';

/** Encodings a caller may name; WHATWG TextDecoder labels, so no transcoding library is needed. */
export type TextEncoding = 'utf-8' | 'windows-1252' | 'iso-8859-1' | 'iso-8859-15' | 'utf-16le' | 'utf-16be';

export interface DecodedText {
  text: string;
  encoding: string;
  warnings: string[];
}

const SNIFF_BYTES = 4096;

/** The charset a file declares in its first bytes: the OFX 1.x header or the XML declaration. */
function declaredCharset(head: string): string | null {
  const xml = /<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/i.exec(head);
  if (xml?.[1]) return xml[1].toLowerCase();
  const charset = /^\s*CHARSET:\s*([A-Za-z0-9-]+)/im.exec(head)?.[1]?.toUpperCase();
  const encoding = /^\s*ENCODING:\s*([A-Za-z0-9-]+)/im.exec(head)?.[1]?.toUpperCase();
  if (encoding === 'UTF-8' || encoding === 'UTF8') return 'utf-8';
  if (charset && /^(1252|WINDOWS-1252|CP1252)$/.test(charset)) return 'windows-1252';
  if (charset && /^(ISO-8859-1|8859-1|LATIN1)$/.test(charset)) return 'windows-1252';
  return null;
}

function decoderFor(label: string): TextDecoder | null {
  try {
    return new TextDecoder(label, { fatal: false });
  } catch {
    return null;
  }
}

/**
 * Bytes to text: the encoding the caller names, else a UTF-16 byte order mark, else the charset the file
 * declares, else UTF-8; bytes that are not valid UTF-8 are read as windows-1252 (what old bank exports
 * are, whatever they say). Text that still holds NUL or other control bytes is not a statement file.
 */
export function decodeStatement(bytes: Uint8Array, requested?: TextEncoding): DecodedText {
  const warnings: string[] = [];
  let encoding: string;
  if (requested) encoding = requested;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) encoding = 'utf-16le';
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) encoding = 'utf-16be';
  else {
    const head = new TextDecoder('windows-1252').decode(bytes.subarray(0, SNIFF_BYTES));
    const declared = declaredCharset(head);
    encoding = declared === 'windows-1252' ? 'windows-1252' : 'utf-8';
    if (declared && declared !== 'utf-8' && declared !== 'windows-1252' && !/^(us-ascii|ascii)$/.test(declared)) {
      if (decoderFor(declared)) encoding = declared;
      else warnings.push(`The file declares the charset ${declared}, which is not supported; it was read as UTF-8.`);
    }
  }
  let text: string;
  if (encoding === 'utf-8') {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      encoding = 'windows-1252';
      warnings.push('The bytes are not valid UTF-8; they were read as windows-1252.');
      text = new TextDecoder('windows-1252').decode(bytes);
    }
  } else {
    text = (decoderFor(encoding) ?? new TextDecoder('utf-8')).decode(bytes);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // eslint-disable-next-line no-control-regex -- control bytes are exactly what a text statement never holds
  const control = /[\u0000-\u0008\u000B\u000E-\u001F]/.exec(text);
  if (control) {
    const at = control.index;
    throw unreadable(`The file is not text: it holds the control byte 0x${text.charCodeAt(at).toString(16).padStart(2, '0')} at character ${at} (binary data, or the wrong encoding).`);
  }
  return { text, encoding, warnings };
}
