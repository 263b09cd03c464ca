// Writes docs/openapi.json from the route schemas (npm run openapi). test/openapi.test.ts checks it is current.
import { writeFileSync } from 'node:fs';
import { generateOpenApi } from '../src/openapi.js';

writeFileSync('docs/openapi.json', await generateOpenApi());
console.log('wrote docs/openapi.json');
