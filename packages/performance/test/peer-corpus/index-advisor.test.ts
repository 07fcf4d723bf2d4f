import { describeCorpus } from './describe-corpus.js';
import { INDEX_ADVISOR_CASES } from './index-advisor-cases.js';

await describeCorpus('Supabase index_advisor', '', INDEX_ADVISOR_CASES);
