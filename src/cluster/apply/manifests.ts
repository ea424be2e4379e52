import { DomainError } from '../../common/domain-error';
import { assertNestingDepth } from '../store/merge-patch';
import { ObjectInput } from '../store/types';
import { readYamlDocuments, YamlDocument } from './yaml-documents';

/** One object of a manifest, with where it came from. */
export interface ManifestDocument {
  /** 1-based position in the batch. */
  index: number;
  /** Line of the document's start in the YAML text, when it came from YAML. */
  line?: number;
  object: ObjectInput;
}

function badManifest(message: string, field?: string): DomainError {
  return new DomainError('BAD_REQUEST', message, field ? { field } : {});
}

/**
 * Reads multi-document YAML as kubectl does (YAML 1.1: `yes` is true, `0777`
 * octal), skipping empty documents and expanding `kind: List`, within the
 * limits of `readYamlDocuments`. A syntax error names the document and line.
 */
export function parseManifestYaml(text: string, options: { keys?: number } = {}): ManifestDocument[] {
  return manifestsOf(readYamlDocuments(text, options));
}

/** The manifests in documents read from YAML (`readYamlDocuments`, or its yielding form). */
export function manifestsOf(documents: YamlDocument[]): ManifestDocument[] {
  const out: ManifestDocument[] = [];
  for (const { position, line, value } of documents) {
    if (value === null) continue;
    if (typeof value !== 'object') {
      throw badManifest(`document ${position}: a manifest must be an object with apiVersion, kind and metadata`);
    }
    for (const object of expand(value, position)) out.push({ index: out.length + 1, line, object });
  }
  return out;
}

/** Reads a JSON body: one object, a `List`, or an array of objects. */
export function parseManifestJson(value: unknown): ManifestDocument[] {
  const out: ManifestDocument[] = [];
  const items = Array.isArray(value) ? value : [value];
  items.forEach((item, i) => {
    for (const object of expand(item, i + 1)) out.push({ index: out.length + 1, object });
  });
  return out;
}

function expand(value: unknown, position: number): ObjectInput[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badManifest(`document ${position}: a manifest must be an object with apiVersion, kind and metadata`);
  }
  assertNestingDepth(value);
  const object = value as ObjectInput;
  if (object.kind === 'List' && Array.isArray(object.items)) {
    return (object.items as unknown[]).flatMap((item) => expand(item, position));
  }
  return [object];
}

/** What every document needs before its kind's own validation runs. */
export function checkDocument(doc: ManifestDocument): void {
  const o = doc.object;
  const where = `document ${doc.index}${doc.line ? ` (line ${doc.line})` : ''}`;
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) throw badManifest(`${where}: apiVersion not set`, 'apiVersion');
  if (typeof o.kind !== 'string' || !o.kind) throw badManifest(`${where}: kind not set`, 'kind');
  if (typeof o.metadata !== 'object' || o.metadata === null || typeof o.metadata.name !== 'string' || !o.metadata.name) {
    throw new DomainError('INVALID', `${where}: ${o.kind}: metadata.name: Required value: name is required`, { field: 'metadata.name', causeReason: 'FieldValueRequired' });
  }
}
