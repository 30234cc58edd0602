// Reads an AsyncAPI document on stdin and prints the parser's diagnostics as one JSON object.
// Exit status: 0 when the document has no error-severity diagnostic, 1 otherwise.
import { Parser } from '@asyncapi/parser';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const source = Buffer.concat(chunks).toString('utf8');

const parser = new Parser();
const diagnostics = await parser.validate(source);
const SEVERITY = ['error', 'warning', 'information', 'hint'];
const report = diagnostics.map((d) => ({
  severity: SEVERITY[d.severity] ?? String(d.severity),
  code: d.code,
  message: d.message,
  path: d.path.join('.'),
}));
const errors = report.filter((d) => d.severity === 'error');
const { document } = await parser.parse(source);
console.log(JSON.stringify({
  valid: errors.length === 0 && document !== undefined,
  version: document ? document.version() : null,
  channels: document ? document.channels().all().map((c) => c.address()) : [],
  diagnostics: report,
}));
process.exit(errors.length === 0 ? 0 : 1);
