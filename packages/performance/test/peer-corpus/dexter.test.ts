import { describeCorpus } from './describe-corpus.js';
import { DEXTER_CASES, DEXTER_SCHEMA } from './dexter-cases.js';

await describeCorpus('Dexter', DEXTER_SCHEMA, DEXTER_CASES);
