import { createService } from './app.js';

const databaseUrl = process.env['DATABASE_URL'];
const apiKey = process.env['DBRS_API_KEY'];
if (!databaseUrl || !apiKey) {
  process.stderr.write('Set DATABASE_URL and DBRS_API_KEY (at least 16 characters).\n');
  process.exit(2);
}
const service = await createService({
  databaseUrl,
  apiKey,
  backupPath: process.env['BACKUP_LOCAL_PATH'] ?? './backups',
});
const port = Number(process.env['PORT'] ?? 3000);
const server = service.app.listen(port, () =>
  process.stdout.write(`listening on http://127.0.0.1:${port} (status page: /dbrs/)\n`),
);
service.suite.startScheduler();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    server.close();
    void service.close();
  });
}
