/**
 * Splits a `multipart/related` body (GCS uploadType=multipart: a JSON
 * metadata part, then the media part) without copying the media as text.
 */
export interface RelatedPart {
  headers: Record<string, string>;
  body: Buffer;
}

export function parseMultipartRelated(body: Buffer, contentType: string): RelatedPart[] {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match) throw new Error('multipart/related without a boundary');
  const delimiter = Buffer.from(`--${match[1]}`);
  const parts: RelatedPart[] = [];
  let position = body.indexOf(delimiter);
  while (position !== -1) {
    const start = position + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    // Each part: CRLF, headers, CRLF CRLF, content, CRLF before the next delimiter.
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headerText = split === -1 ? '' : part.subarray(0, split).toString('utf8');
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: split === -1 ? part : part.subarray(split + 4) });
    position = next;
  }
  return parts;
}
