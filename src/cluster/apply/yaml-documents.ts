import { Composer, CST, Document, isMap, isScalar, isSeq, Lexer, LineCounter, Parser } from 'yaml';
import { DomainError } from '../../common/domain-error';
import { MAX_NESTING_DEPTH } from '../../common/limits';

/** The limits on a YAML body (documented in docs/api.md, "Limits"). */
export const YAML_LIMITS = {
  /** Documents in one stream (`---` separated). */
  documents: 10_000,
  /** Mapping keys in the whole stream, every document and level together. */
  keys: 250_000,
  /** Nesting of mappings and sequences, flow and block. */
  depth: MAX_NESTING_DEPTH,
  /** Alias expansions in one document (the `yaml` package's `maxAliasCount`). */
  aliases: 100,
} as const;

/** One document of a YAML stream, as JSON-like data. */
export interface YamlDocument {
  /** 1-based position in the stream, empty documents counted. */
  position: number;
  /** Line where the document's content starts. */
  line?: number;
  /** `null` for an empty document. */
  value: unknown;
}

function badYaml(message: string): DomainError {
  return new DomainError('BAD_REQUEST', message);
}

/**
 * Reads a YAML stream (YAML 1.1, as kubectl reads manifests) in time linear
 * in its length: each document's syntax tree is checked against the limits
 * (nesting, key count) before it is built, so a hostile body is refused
 * before any costly work; duplicate keys are found with one set per mapping
 * (the `yaml` package's own check is quadratic); and reading stops at the
 * first document in error, which names its position and line. With
 * `stopAfter`, reading also stops once that many documents and one more are
 * read (the rest is not parsed).
 */
export function readYamlDocuments(text: string, options: { stopAfter?: number; keys?: number } = {}): YamlDocument[] {
  const steps = readingSteps(text, options.stopAfter, options.keys);
  for (;;) {
    const step = withoutStackTraces(() => steps.next());
    if (step.done) return step.value;
  }
}

/**
 * The composer makes an error object for every bad token of a garbage body,
 * and capturing their stacks was most of the time spent on one; only the
 * first error's message is used. The limit is lowered for one synchronous
 * step at a time, so no other code runs with it lowered.
 */
function withoutStackTraces<T>(work: () => T): T {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return work();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** How many lexical tokens a step of reading takes. */
const TOKENS_PER_STEP = 512;

/** The reading, as steps of `TOKENS_PER_STEP` tokens; returns the documents (at most `stopAfter` + 1). */
function* readingSteps(text: string, stopAfter = Infinity, keys: number = YAML_LIMITS.keys): Generator<void, YamlDocument[]> {
  if (explicitDocumentStarts(text) > YAML_LIMITS.documents) throw tooManyDocuments();
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  const limits = new LexicalLimits(lineCounter);
  const composer = new Composer({ version: '1.1', uniqueKeys: false, prettyErrors: false });
  const out: YamlDocument[] = [];
  const budget = { keys, limit: keys };
  const take = (doc: Document.Parsed) => {
    if (out.length > stopAfter) return;
    const position = out.length + 1;
    const [first] = doc.errors;
    if (first) {
      const at = lineCounter.linePos(first.pos[0]);
      throw badYaml(`error converting YAML to JSON: yaml: document ${position}, line ${at.line}, column ${at.col}: ${first.message.split('\n')[0]}`);
    }
    const duplicate = firstDuplicateKey(doc);
    if (duplicate) {
      const at = lineCounter.linePos(duplicate.offset);
      throw badYaml(`error converting YAML to JSON: yaml: document ${position}, line ${at.line}: key ${JSON.stringify(duplicate.key)} already set in map`);
    }
    const line = doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : undefined;
    let value: unknown;
    try {
      value = doc.contents === null ? null : doc.toJS({ maxAliasCount: YAML_LIMITS.aliases });
    } catch (e) {
      throw badYaml(`document ${position}: ${(e as Error).message}`);
    }
    out.push({ position, line, value });
  };
  let documents = 0;
  const takeToken = (token: CST.Token) => {
    if (token.type === 'document') {
      if (++documents > YAML_LIMITS.documents) throw tooManyDocuments();
      if (token.value) checkTree(token.value, budget, lineCounter);
    }
    for (const doc of composer.next(token)) take(doc);
  };
  // Parser.parse(), with a look at each lexical token before the parser takes it.
  lineCounter.addNewLine(0);
  let count = 0;
  for (const lexeme of new Lexer().lex(text)) {
    limits.see(lexeme);
    for (const token of parser.next(lexeme)) takeToken(token);
    if (out.length > stopAfter) return out;
    if (++count % TOKENS_PER_STEP === 0) yield;
  }
  for (const token of parser.end()) takeToken(token);
  for (const doc of composer.end()) take(doc);
  return out;
}

/** One YAML document holding an object (a request body in YAML). */
export function parseYamlObject(text: string): object {
  // A second document is enough to refuse: the rest of the stream is not read.
  const docs = readYamlDocuments(text, { stopAfter: 1 });
  if (docs.length > 1) throw badYaml('the request body holds more than one YAML document: send one object');
  const value = docs[0]?.value;
  if (typeof value !== 'object' || value === null) throw badYaml('the request body must be an object');
  return value;
}

function tooDeep(line: number): DomainError {
  return badYaml(`the request body nests deeper than ${YAML_LIMITS.depth} levels (at line ${line}): the nesting limit is ${YAML_LIMITS.depth}`);
}

/**
 * Lines that start a document (`---` at the start of a line, alone or before
 * a space): a document marker ends any scalar, so none is inside one. One
 * native scan, so a flood of documents is refused before any is built.
 */
function explicitDocumentStarts(text: string): number {
  let count = 0;
  for (const _ of text.matchAll(/^---(?=[ \t\r\n]|$)/gm)) count++;
  return count;
}

function tooManyDocuments(): DomainError {
  return badYaml(`the YAML stream has more than ${YAML_LIMITS.documents} documents: the limit is ${YAML_LIMITS.documents}`);
}

/**
 * Refuses, token by token as the lexer yields them and before the parser
 * takes each, text nesting deeper than the limit in flow collections (`[[[[`) or in block sequences and keys opened on
 * one line (`- - - -`): the parser's stack work grows with the depth, so
 * such a body is refused as soon as the limit is passed. Deeper nesting by
 * indentation alone is found in the syntax tree.
 */
class LexicalLimits {
  private flow = 0;
  private onLine = 0;
  private scalar = false;

  constructor(private readonly lines: LineCounter) {}

  see(token: string): void {
    if (this.scalar) {
      this.scalar = false;
      return;
    }
    switch (token) {
      case '[':
      case '{':
        if (++this.flow + this.onLine > YAML_LIMITS.depth) throw tooDeep(this.lines.lineStarts.length);
        break;
      case ']':
      case '}':
        this.flow = Math.max(0, this.flow - 1);
        break;
      case '-':
      case '?':
        if (this.flow === 0 && ++this.onLine > YAML_LIMITS.depth) throw tooDeep(this.lines.lineStarts.length);
        break;
      case '\n':
      case '\r\n':
        this.onLine = 0;
        break;
      case CST.FLOW_END: // a flow collection the lexer closed, on an error
        this.flow = 0;
        break;
      case CST.SCALAR: // a scalar's source comes next
        this.scalar = true;
        break;
    }
  }
}

/**
 * Refuses a document's syntax tree that nests deeper than the limit or
 * brings the stream's key count over it. Iterative: the tree's depth is the
 * input's to choose.
 */
function checkTree(root: CST.Token, budget: { keys: number; limit: number }, lines: LineCounter): void {
  const stack: Array<{ token: CST.Token; depth: number }> = [{ token: root, depth: 1 }];
  while (stack.length) {
    const { token, depth } = stack.pop()!;
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth > YAML_LIMITS.depth) throw tooDeep(lines.linePos(token.offset).line);
    for (const item of token.items as CST.CollectionItem[]) {
      if (token.type !== 'block-seq' && (item.key || item.sep)) {
        if (--budget.keys < 0) throw badYaml(`the YAML has more than ${budget.limit} mapping keys: the limit is ${budget.limit}`);
      }
      if (item.key) stack.push({ token: item.key, depth: depth + 1 });
      if (item.value) stack.push({ token: item.value, depth: depth + 1 });
    }
  }
}

/** The first key given twice in one mapping, as the API server's YAML decoder refuses it. */
function firstDuplicateKey(doc: Document.Parsed): { key: string; offset: number } | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const key = pair.key.value;
          if (seen.has(key)) return { key: String(key), offset: pair.key.range?.[0] ?? 0 };
          seen.add(key);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return undefined;
}
