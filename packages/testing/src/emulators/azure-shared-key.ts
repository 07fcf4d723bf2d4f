import { createHmac } from 'node:crypto';
import { request } from 'node:http';

/** Thrown when something other than Azurite answered on the emulator's port. */
export class ForeignServerError extends Error {}

/**
 * Creates a container with one SharedKey-signed REST call, so the harness
 * can hand tests a ready container without depending on @azure/storage-blob.
 * Every Azurite response carries `Server: Azurite-Blob/<version>`; an answer
 * without it came from another server that holds the port (it was free when
 * picked, and taken before Azurite bound it): a ForeignServerError, so the
 * caller can start again on another port instead of reporting Azure refusing.
 */
export async function createAzureContainer(options: {
  blobEndpoint: string;
  accountName: string;
  accountKey: string;
  container: string;
}): Promise<void> {
  const url = new URL(`${options.blobEndpoint}/${options.container}?restype=container`);
  const date = new Date().toUTCString();
  const version = '2021-12-02';
  const canonicalHeaders = `x-ms-date:${date}\nx-ms-version:${version}\n`;
  const canonicalResource = `/${options.accountName}${url.pathname}\nrestype:container`;
  // VERB, then 11 standard headers (all empty here: no body, no conditions), then the canonical parts.
  const stringToSign = `PUT\n${'\n'.repeat(11)}${canonicalHeaders}${canonicalResource}`;
  const signature = createHmac('sha256', Buffer.from(options.accountKey, 'base64'))
    .update(stringToSign, 'utf8')
    .digest('base64');
  // A one-off connection: a pooled keep-alive socket would make Azurite's shutdown wait for it.
  const { status, body, server } = await new Promise<{ status: number; body: string; server: string }>(
    (resolve, reject) => {
      const req = request(
        url,
        {
          method: 'PUT',
          agent: false,
          headers: {
            connection: 'close',
            'content-length': '0',
            'x-ms-date': date,
            'x-ms-version': version,
            authorization: `SharedKey ${options.accountName}:${signature}`,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text, server: String(res.headers.server ?? '') }),
          );
        },
      );
      req.once('error', reject);
      req.end();
    },
  );
  if (!server.startsWith('Azurite-Blob/')) {
    throw new ForeignServerError(
      `Not Azurite on ${url.host}: ${status} from server "${server || 'unnamed'}" (${body.slice(0, 200)})`,
    );
  }
  if (status !== 201 && status !== 409) {
    throw new Error(`Creating Azure container "${options.container}" failed: ${status} ${body}`);
  }
}
