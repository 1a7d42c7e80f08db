/**
 * GET /docs: the OpenAPI document as one self-contained HTML page (no scripts, no CDN: the API
 * may run where there is no network). Operations grouped by tag, with parameters, request body
 * and responses; then every component schema with its properties.
 */

/** The parts of an OpenAPI 3.1 document the page reads. */
interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  additionalProperties?: boolean | SchemaObject;
  anyOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  allOf?: SchemaObject[];
  description?: string;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
}

interface MediaTypes {
  content?: Record<string, { schema?: SchemaObject }>;
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: SchemaObject }>;
  requestBody?: MediaTypes & { required?: boolean };
  responses?: Record<string, MediaTypes & { description?: string }>;
}

export interface OpenApiDocumentLike {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

const anchor = (text: string): string => text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** A short, linked description of a schema: `TaskSummary[]`, `string (date-time) | null`, `"a" | "b"`. */
function typeLabel(schema: SchemaObject | undefined): string {
  if (!schema) return '';
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() ?? schema.$ref;
    return `<a href="#schema-${anchor(name)}">${escapeHtml(name)}</a>`;
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map(typeLabel).join(' | ');
  if (schema.allOf) return schema.allOf.map(typeLabel).join(' &amp; ');
  if (schema.enum) return schema.enum.map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(' | ');
  if (schema.const !== undefined) return `<code>${escapeHtml(JSON.stringify(schema.const))}</code>`;
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const labels = types.map((t) => {
    if (t === 'array') return `${typeLabel(schema.items) || 'any'}[]`;
    if (t === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') {
      return `object of ${typeLabel(schema.additionalProperties) || 'any'}`;
    }
    return escapeHtml(schema.format ? `${t} (${schema.format})` : t);
  });
  if (schema.nullable) labels.push('null');
  return labels.length > 0 ? labels.join(' | ') : 'any JSON';
}

function contentRows(media: MediaTypes | undefined): string {
  const content = media?.content ?? {};
  return Object.entries(content)
    .map(([type, { schema }]) => `<code>${escapeHtml(type)}</code> ${typeLabel(schema)}`)
    .join('<br>');
}

function renderOperation(method: string, path: string, op: Operation): string {
  const id = `op-${method}-${anchor(path)}`;
  const parts = [
    `<section class="op" id="${id}">`,
    `<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>`,
  ];
  if (op.summary) parts.push(`<p><strong>${escapeHtml(op.summary)}</strong></p>`);
  if (op.description) parts.push(`<p>${escapeHtml(op.description)}</p>`);
  if (op.parameters?.length) {
    parts.push('<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>');
    for (const p of op.parameters) {
      parts.push(
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${typeLabel(p.schema)}</td>` +
          `<td>${p.required ? 'yes' : 'no'}</td><td>${escapeHtml(p.description ?? p.schema?.description ?? '')}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  if (op.requestBody) {
    parts.push(`<h4>Request body${op.requestBody.required ? '' : ' (optional)'}</h4><p>${contentRows(op.requestBody)}</p>`);
  }
  parts.push('<h4>Responses</h4><table><tr><th>status</th><th>description</th><th>body</th></tr>');
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    parts.push(`<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(response.description ?? '')}</td><td>${contentRows(response)}</td></tr>`);
  }
  parts.push('</table></section>');
  return parts.join('\n');
}

function renderSchema(name: string, schema: SchemaObject): string {
  const parts = [`<section class="schema" id="schema-${anchor(name)}"><h3>${escapeHtml(name)}</h3>`];
  if (schema.description) parts.push(`<p>${escapeHtml(schema.description)}</p>`);
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    parts.push('<table><tr><th>property</th><th>type</th><th>required</th><th>description</th></tr>');
    for (const [prop, sub] of Object.entries(schema.properties)) {
      parts.push(
        `<tr><td><code>${escapeHtml(prop)}</code></td><td>${typeLabel(sub)}</td><td>${required.has(prop) ? 'yes' : 'no'}</td>` +
          `<td>${escapeHtml(sub.description ?? '')}</td></tr>`,
      );
    }
    parts.push('</table>');
    if (schema.additionalProperties === true) parts.push('<p>Other properties are passed through.</p>');
  } else {
    parts.push(`<p>${typeLabel(schema)}</p>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1000px; padding: 1rem 2rem; color: #1d232a; }
h1 small { font-weight: normal; color: #666; font-size: 60%; }
code { font: 13px ui-monospace, monospace; background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; margin: .3rem 0 1rem; width: 100%; }
th, td { border: 1px solid #d9dde3; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f7f9; font-weight: 600; }
section.op { border-top: 1px solid #d9dde3; padding-top: .4rem; }
.method { display: inline-block; min-width: 4.2em; text-align: center; color: #fff; border-radius: 3px; font-size: 80%; padding: 1px 4px; }
.get { background: #2f6fbf; } .post { background: #2f8f4e; } .put, .patch { background: #b7791f; } .delete { background: #c53030; }
nav ul { columns: 2; }
`;

/**
 * The whole page.
 *
 * @example renderDocsPage(app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'weft', version: '1' } }))
 */
export function renderDocsPage(doc: OpenApiDocumentLike, options: { specUrl?: string } = {}): string {
  const title = doc.info?.title ?? 'API';
  const operations: Array<{ tag: string; method: string; path: string; op: Operation }> = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) operations.push({ tag: op.tags?.[0] ?? 'other', method, path, op });
    }
  }
  const tags = [...new Set(operations.map((o) => o.tag))];
  const nav = operations
    .map((o) => `<li><a href="#op-${o.method}-${anchor(o.path)}"><span class="method ${o.method}">${o.method.toUpperCase()}</span> ${escapeHtml(o.path)}</a> ${escapeHtml(o.op.summary ?? '')}</li>`)
    .join('\n');
  const body = tags
    .map((tag) => [`<h2 id="tag-${anchor(tag)}">${escapeHtml(tag)}</h2>`, ...operations.filter((o) => o.tag === tag).map((o) => renderOperation(o.method, o.path, o.op))].join('\n'))
    .join('\n');
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(([name, schema]) => renderSchema(name, schema))
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)} <small>${escapeHtml(doc.info?.version ?? '')}</small></h1>
${doc.info?.description ? `<p>${escapeHtml(doc.info.description)}</p>` : ''}
<p>Machine-readable: <a href="${escapeHtml(options.specUrl ?? 'openapi.json')}">openapi.json</a> (OpenAPI 3.1).</p>
<nav><h2>Operations</h2><ul>
${nav}
</ul></nav>
${body}
<h2 id="schemas">Schemas</h2>
${schemas}
</body>
</html>
`;
}
