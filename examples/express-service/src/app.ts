import {
  createDatabaseReliabilitySuite,
  createSuiteHandler,
  type DatabaseReliabilitySuite,
} from '@voicehive/db-reliability-suite';
import express, { type Express } from 'express';

export interface ServiceOptions {
  databaseUrl: string;
  /** Key for /dbrs/status and the /dbrs/ page (operator role). */
  apiKey: string;
  /** Where backups go; this example keeps them on local disk. */
  backupPath: string;
}

export interface Service {
  app: Express;
  suite: DatabaseReliabilitySuite;
  close(): Promise<void>;
}

/**
 * A hotel booking service with the reliability suite embedded: its status
 * page, JSON status, health and metrics are mounted under /dbrs, and the
 * service's own routes share the suite's connection pool.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const suite = await createDatabaseReliabilitySuite(options.databaseUrl, {
    poolMinSize: 1,
    poolMaxSize: 10,
    storageType: 'local',
    backupLocalPath: options.backupPath,
    logLevel: 'silent',
  });
  const app = express();
  app.disable('x-powered-by');

  // Everything the suite serves, under one prefix; express strips it and the handler uses req.baseUrl for links.
  app.use('/dbrs', createSuiteHandler(suite, { apiKey: options.apiKey }));

  // The service's own routes use the same pool.
  app.get('/hotels/:id', async (req, res) => {
    const { rows } = await suite.database.query('SELECT id, name FROM hotels WHERE id = $1', [Number(req.params.id)]);
    if (rows.length === 0) res.status(404).json({ error: 'not found' });
    else res.json(rows[0]);
  });

  return { app, suite, close: () => suite.shutdown() };
}
