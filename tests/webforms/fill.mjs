#!/usr/bin/env node
// OpenRosa client harness built on the ODK Web Forms engine
// (@getodk/xforms-engine), running in Node with a jsdom-provided DOM.
//
// Usage:
//   node fill.mjs --server BASE_URL --form-id FORM_ID --answers ANSWERS.json [--no-submit]
//
// Prints exactly one JSON object on stdout. See README.md for the contract.

import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { JSDOM } from 'jsdom';

const OPENROSA_VERSION = '1.0';
const NS_FORMLIST = 'http://openrosa.org/xforms/xformsList';
const NS_MANIFEST = 'http://openrosa.org/xforms/xformsManifest';
const USER_AGENT = 'tgpl-webforms-harness (@getodk/xforms-engine)';
const SUBMISSION_FILE_NAME = 'submission.xml';

const USAGE =
	'usage: node fill.mjs --server BASE_URL --form-id FORM_ID --answers ANSWERS.json ' +
	'[--no-submit] [--timeout SECONDS] [--device-id ID]';

/** Raised for transport-level failures (connection refused, timeout...): exit 2. */
class NetworkError extends Error {}
/** Raised for bad command lines / unreadable answer files: exit 2. */
class UsageError extends Error {}
/** Raised when the server (or form) misbehaves in a way that stops the run: exit 1. */
class HarnessError extends Error {}

const result = {
	formId: null,
	hash: null,
	media: [],
	choices: {},
	violations: [],
	errors: [],
	warnings: [],
	head_status: null,
	submit_status: null,
	submit_body: null,
	instance_xml: null,
	instance_id: null,
};

// ---------------------------------------------------------------------------
// DOM environment: the engine expects browser globals (DOMParser, Node,
// document, ...). Install jsdom's window properties that Node lacks, keeping
// Node's own implementations (fetch, Blob, File, FormData, URL, crypto...).
// ---------------------------------------------------------------------------

const installDomGlobals = () => {
	const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', {
		url: 'http://localhost/',
		contentType: 'text/html',
	});
	const { window } = dom;

	for (const key of Object.getOwnPropertyNames(window)) {
		if (key.startsWith('_') || key.startsWith('on') || key in globalThis) {
			continue;
		}
		try {
			globalThis[key] = window[key];
		} catch {
			// Some window properties are not assignable; the engine does not need them.
		}
	}

	// The engine bundles web-tree-sitter (emscripten). Under Node its loader
	// refers to the CommonJS `__dirname`, which ES modules lack; the WASM
	// binaries themselves are inlined as data URLs, so any directory will do.
	if (typeof globalThis.__dirname === 'undefined') {
		globalThis.__dirname = new URL('.', import.meta.url).pathname;
	}

	return dom;
};

// ---------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------

let requestTimeoutMs = 30_000;

const openRosaHeaders = (extra = {}) => ({
	'X-OpenRosa-Version': OPENROSA_VERSION,
	'User-Agent': USER_AGENT,
	Date: new Date().toUTCString(),
	...extra,
});

const request = async (url, init = {}) => {
	try {
		return await fetch(url, {
			redirect: 'follow',
			signal: AbortSignal.timeout(requestTimeoutMs),
			...init,
		});
	} catch (error) {
		const cause = error?.cause?.message ?? error?.message ?? String(error);
		throw new NetworkError(`${init.method ?? 'GET'} ${url} failed: ${cause}`);
	}
};

const md5Hex = (bytes) => createHash('md5').update(bytes).digest('hex');

const checkMd5 = (what, bytes, expected) => {
	if (expected == null || expected === '') {
		throw new HarnessError(`${what}: no hash advertised by the server`);
	}
	const actual = `md5:${md5Hex(bytes)}`;
	if (actual.toLowerCase() !== expected.trim().toLowerCase()) {
		throw new HarnessError(`${what}: md5 mismatch: advertised ${expected}, downloaded bytes are ${actual}`);
	}
};

const checkOpenRosaResponseHeader = (what, response) => {
	if (response.headers.get('x-openrosa-version') == null) {
		result.warnings.push(`${what}: response has no X-OpenRosa-Version header`);
	}
};

const parseXml = (what, text) => {
	const doc = new globalThis.DOMParser().parseFromString(text, 'text/xml');
	if (doc.getElementsByTagName('parsererror').length > 0) {
		throw new HarnessError(`${what}: response is not well-formed XML`);
	}
	return doc;
};

/** Text of the first direct child element of `parent` named `localName` in `ns`. */
const childText = (parent, ns, localName) => {
	for (const child of parent.children) {
		if (child.namespaceURI === ns && child.localName === localName) {
			return child.textContent.trim();
		}
	}
	return null;
};

// ---------------------------------------------------------------------------
// OpenRosa form discovery and download
// ---------------------------------------------------------------------------

const fetchFormList = async (baseUrl, formId) => {
	const url = `${baseUrl}/formList`;
	const response = await request(url, { headers: openRosaHeaders() });
	const body = await response.text();

	if (response.status !== 200) {
		throw new HarnessError(`GET ${url}: expected status 200, got ${response.status}`);
	}
	const contentType = response.headers.get('content-type') ?? '';
	if (!contentType.includes('text/xml')) {
		throw new HarnessError(`GET ${url}: expected a text/xml content-type, got "${contentType}"`);
	}
	checkOpenRosaResponseHeader(`GET ${url}`, response);

	const doc = parseXml(`GET ${url}`, body);
	const xforms = Array.from(doc.getElementsByTagNameNS(NS_FORMLIST, 'xform'));
	const entry = xforms.find((xform) => childText(xform, NS_FORMLIST, 'formID') === formId);

	if (entry == null) {
		const ids = xforms.map((xform) => childText(xform, NS_FORMLIST, 'formID'));
		throw new HarnessError(`formList has no <xform> with formID "${formId}" (found: ${JSON.stringify(ids)})`);
	}

	const downloadUrl = childText(entry, NS_FORMLIST, 'downloadUrl');
	if (!downloadUrl) {
		throw new HarnessError(`formList entry for "${formId}" has no downloadUrl`);
	}
	const manifestUrl = childText(entry, NS_FORMLIST, 'manifestUrl');

	return {
		downloadUrl: new URL(downloadUrl, url).href,
		hash: childText(entry, NS_FORMLIST, 'hash'),
		manifestUrl: manifestUrl ? new URL(manifestUrl, url).href : null,
	};
};

const fetchBytes = async (what, url, headers = {}) => {
	const response = await request(url, { headers: openRosaHeaders(headers) });
	const bytes = Buffer.from(await response.arrayBuffer());
	if (response.status !== 200) {
		throw new HarnessError(`${what}: GET ${url}: expected status 200, got ${response.status}`);
	}
	return { bytes, contentType: response.headers.get('content-type'), response };
};

const fetchMedia = async (manifestUrl) => {
	const manifest = await fetchBytes('manifest', manifestUrl);
	const contentType = manifest.contentType ?? '';
	if (!contentType.includes('text/xml')) {
		throw new HarnessError(`GET ${manifestUrl}: expected a text/xml content-type, got "${contentType}"`);
	}
	checkOpenRosaResponseHeader(`GET ${manifestUrl}`, manifest.response);

	const doc = parseXml(`GET ${manifestUrl}`, manifest.bytes.toString('utf8'));
	const media = new Map();

	for (const mediaFile of doc.getElementsByTagNameNS(NS_MANIFEST, 'mediaFile')) {
		const filename = childText(mediaFile, NS_MANIFEST, 'filename');
		const hash = childText(mediaFile, NS_MANIFEST, 'hash');
		const downloadUrl = childText(mediaFile, NS_MANIFEST, 'downloadUrl');

		if (!filename || !downloadUrl) {
			throw new HarnessError(`manifest: <mediaFile> without filename or downloadUrl`);
		}

		const { bytes, contentType: mediaType } = await fetchBytes(
			`media file ${filename}`,
			new URL(downloadUrl, manifestUrl).href
		);
		checkMd5(`media file ${filename}`, bytes, hash);
		media.set(filename, { bytes, contentType: mediaType });
	}

	return media;
};

// ---------------------------------------------------------------------------
// Engine helpers
// ---------------------------------------------------------------------------

/** Resolve `jr://file/NAME`, `jr://file-csv/NAME`, `jr://images/NAME`... from downloaded media. */
const makeAttachmentFetcher = (media) => async (resourceURL) => {
	const name = decodeURIComponent(resourceURL.pathname.replace(/^\/+/, ''));
	const file = media.get(name) ?? media.get(basename(name));

	if (file == null) {
		return new Response(null, { status: 404, statusText: 'Not Found' });
	}

	const headers = {};
	if (file.contentType) {
		headers['content-type'] = file.contentType;
	}
	return new Response(file.bytes, { status: 200, headers });
};

const children = (node) => node.currentState.children ?? [];

const findNode = (root, ref) => {
	const stack = [root];
	while (stack.length > 0) {
		const node = stack.pop();
		if (node.currentState.reference === ref) {
			return node;
		}
		stack.push(...children(node));
	}
	return null;
};

/**
 * For refs addressing repeat instances (`/data/rep[3]/q`), add instances to
 * uncontrolled repeats until the addressed position exists, like a user
 * tapping "add" would.
 */
const ensureRepeatInstances = (root, ref) => {
	const pattern = /\[(\d+)\]/g;
	let match;
	while ((match = pattern.exec(ref)) != null) {
		const rangeRef = ref.slice(0, match.index);
		const wanted = Number(match[1]);
		const range = findNode(root, rangeRef);

		if (range == null || !String(range.nodeType).startsWith('repeat-range')) {
			return;
		}
		if (typeof range.addInstances !== 'function') {
			return; // count-controlled repeat: the form decides how many instances exist
		}
		while (children(range).length < wanted) {
			range.addInstances();
		}
	}
};

const MIME_TYPES = {
	'.jpg': 'image/jpeg',
	'.jpeg': 'image/jpeg',
	'.png': 'image/png',
	'.gif': 'image/gif',
	'.webp': 'image/webp',
	'.bmp': 'image/bmp',
	'.svg': 'image/svg+xml',
	'.mp3': 'audio/mpeg',
	'.m4a': 'audio/mp4',
	'.amr': 'audio/amr',
	'.wav': 'audio/wav',
	'.ogg': 'audio/ogg',
	'.mp4': 'video/mp4',
	'.3gp': 'video/3gpp',
	'.pdf': 'application/pdf',
	'.csv': 'text/csv',
	'.txt': 'text/plain',
	'.xml': 'text/xml',
	'.json': 'application/json',
	'.zip': 'application/zip',
};

const mimeTypeFor = (path) => MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';

const readUploadFile = async (path) => {
	let bytes;
	try {
		bytes = await readFile(path);
	} catch (error) {
		throw new Error(`cannot read upload file "${path}": ${error.message}`);
	}
	return new File([bytes], basename(path), { type: mimeTypeFor(path) });
};

const SETTABLE_NODE_TYPES = new Set(['input', 'select', 'upload', 'range', 'rank', 'trigger']);

/** Apply one answer; returns a list of error strings (empty when it went fine). */
const applyAnswer = async (root, ref, rawValue) => {
	const value = rawValue == null ? '' : String(rawValue);

	ensureRepeatInstances(root, ref);
	const node = findNode(root, ref);

	if (node == null) {
		return [`${ref}: no such node in the form`];
	}
	if (!SETTABLE_NODE_TYPES.has(node.nodeType)) {
		return [`${ref}: node of type "${node.nodeType}" cannot be answered`];
	}
	if (!node.currentState.relevant) {
		return [`${ref}: question is not relevant at this point`];
	}
	if (node.currentState.readonly) {
		return [`${ref}: question is read-only`];
	}

	switch (node.nodeType) {
		case 'select': {
			const offered = node.currentState.valueOptions.map((item) => item.value);
			result.choices[ref] = offered;

			const wanted = value.split(/\s+/).filter((token) => token !== '');
			if (node.selectType === 'select1' && wanted.length > 1) {
				return [`${ref}: select_one question given several values ${JSON.stringify(wanted)}`];
			}
			const missing = wanted.filter((token) => !offered.includes(token));
			if (missing.length > 0) {
				return [`${ref}: ${JSON.stringify(missing)} not among offered choices ${JSON.stringify(offered)}`];
			}
			node.selectValues(wanted);
			break;
		}

		case 'rank': {
			const offered = node.currentState.valueOptions.map((item) => item.value);
			result.choices[ref] = offered;
			const wanted = value.split(/\s+/).filter((token) => token !== '');
			const missing = wanted.filter((token) => !offered.includes(token));
			if (missing.length > 0) {
				return [`${ref}: ${JSON.stringify(missing)} not among offered choices ${JSON.stringify(offered)}`];
			}
			node.setValues(wanted);
			break;
		}

		case 'upload':
			node.setValue(value === '' ? null : await readUploadFile(value));
			break;

		case 'trigger':
			node.setValue(value !== '' && value !== 'false');
			break;

		default:
			node.setValue(value);
	}

	// The engine silently decodes inputs (e.g. a non-numeric string for an int
	// becomes blank). Report values that did not survive as given.
	const stored = node.currentState.instanceValue;
	if (node.nodeType === 'input' || node.nodeType === 'range') {
		if (value !== '' && stored === '') {
			return [`${ref}: value ${JSON.stringify(value)} was rejected by the engine (stored blank)`];
		}
		if (stored !== value) {
			result.warnings.push(`${ref}: value ${JSON.stringify(value)} stored as ${JSON.stringify(stored)}`);
		}
	}
	return [];
};

const defaultViolationMessage = (condition) =>
	condition === 'required' ? 'Required' : 'Constraint not satisfied';

const collectViolations = (root) =>
	root.validationState.violations.map(({ reference, violation }) => ({
		ref: reference,
		condition: violation.condition,
		message: violation.message?.asString || defaultViolationMessage(violation.condition),
	}));

const instanceIdFrom = (instanceXml) => {
	const doc = new globalThis.DOMParser().parseFromString(instanceXml, 'text/xml');
	const [element] = doc.getElementsByTagNameNS('*', 'instanceID');
	return element?.textContent.trim() || null;
};

// ---------------------------------------------------------------------------
// Submission
// ---------------------------------------------------------------------------

// Escape as browsers do for multipart/form-data names (WHATWG HTML).
const quoteParam = (value) =>
	String(value).replace(/[\r\n"]/g, (ch) => ({ '\r': '%0D', '\n': '%0A', '"': '%22' })[ch]);

/** multipart/form-data body: instance XML first, then one part per attachment. */
const buildMultipart = async (instanceFile, attachments) => {
	const boundary = `----tgplWebForms${randomBytes(12).toString('hex')}`;
	const chunks = [];
	const addPart = async (name, filename, type, file) => {
		chunks.push(
			Buffer.from(
				`--${boundary}\r\n` +
					`Content-Disposition: form-data; name="${quoteParam(name)}"; filename="${quoteParam(filename)}"\r\n` +
					`Content-Type: ${type || 'application/octet-stream'}\r\n\r\n`,
				'utf8'
			)
		);
		chunks.push(Buffer.from(await file.arrayBuffer()));
		chunks.push(Buffer.from('\r\n', 'utf8'));
	};

	await addPart('xml_submission_file', SUBMISSION_FILE_NAME, 'text/xml', instanceFile);
	for (const file of attachments) {
		await addPart(file.name, file.name, file.type, file);
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));

	return { boundary, body: Buffer.concat(chunks) };
};

const submit = async (baseUrl, payload) => {
	const url = `${baseUrl}/submission`;

	const head = await request(url, { method: 'HEAD', headers: openRosaHeaders() });
	result.head_status = head.status;

	const [data] = payload.data;
	let instanceFile = null;
	const attachments = [];
	for (const [name, value] of data.entries()) {
		if (name === 'xml_submission_file') {
			instanceFile = value;
		} else {
			attachments.push(value);
		}
	}
	if (instanceFile == null) {
		throw new HarnessError('engine payload has no xml_submission_file');
	}

	const { boundary, body } = await buildMultipart(instanceFile, attachments);
	const response = await request(url, {
		method: 'POST',
		headers: openRosaHeaders({ 'Content-Type': `multipart/form-data; boundary=${boundary}` }),
		body,
	});
	result.submit_status = response.status;
	result.submit_body = await response.text();

	if (response.status !== 201) {
		result.errors.push(`POST ${url}: expected status 201, got ${response.status}`);
	}
};

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

const readAnswers = async (path) => {
	let answers;
	try {
		answers = JSON.parse(await readFile(path, 'utf8'));
	} catch (error) {
		throw new UsageError(`cannot read answers file "${path}": ${error.message}`);
	}
	if (!Array.isArray(answers)) {
		throw new UsageError('answers file must contain a JSON array of {"ref", "value"} objects');
	}
	for (const [index, answer] of answers.entries()) {
		if (answer == null || typeof answer !== 'object' || typeof answer.ref !== 'string') {
			throw new UsageError(`answers[${index}] must be an object with a string "ref"`);
		}
	}
	return answers;
};

const parseCommandLine = () => {
	let parsed;
	try {
		parsed = parseArgs({
			options: {
				server: { type: 'string' },
				'form-id': { type: 'string' },
				answers: { type: 'string' },
				'no-submit': { type: 'boolean', default: false },
				timeout: { type: 'string' },
				'device-id': { type: 'string' },
				help: { type: 'boolean', short: 'h', default: false },
			},
			strict: true,
			allowPositionals: false,
		});
	} catch (error) {
		throw new UsageError(error.message);
	}
	const { values } = parsed;
	if (values.help) {
		throw new UsageError('help requested');
	}
	for (const required of ['server', 'form-id', 'answers']) {
		if (!values[required]) {
			throw new UsageError(`missing --${required}`);
		}
	}
	try {
		new URL(values.server);
	} catch {
		throw new UsageError(`--server is not a URL: ${values.server}`);
	}
	if (values.timeout != null) {
		const seconds = Number(values.timeout);
		if (!(seconds > 0)) {
			throw new UsageError('--timeout must be a positive number of seconds');
		}
		requestTimeoutMs = seconds * 1000;
	}
	return {
		server: values.server.replace(/\/+$/, ''),
		formId: values['form-id'],
		answersPath: values.answers,
		submit: !values['no-submit'],
		deviceId: values['device-id'] ?? 'tgpl-webforms-harness',
	};
};

const run = async () => {
	const options = parseCommandLine();
	result.formId = options.formId;
	const answers = await readAnswers(options.answersPath);

	const dom = installDomGlobals();
	const { loadForm } = await import('@getodk/xforms-engine');

	try {
		const entry = await fetchFormList(options.server, options.formId);
		result.hash = entry.hash;

		const form = await fetchBytes('form definition', entry.downloadUrl);
		checkMd5('form definition', form.bytes, entry.hash);

		const media = entry.manifestUrl ? await fetchMedia(entry.manifestUrl) : new Map();
		result.media = Array.from(media.keys());

		const loaded = await loadForm(form.bytes.toString('utf8'), {
			fetchFormAttachment: makeAttachmentFetcher(media),
		});
		if (loaded.status === 'failure') {
			const causes = (loaded.error?.errors ?? loaded.error?.cause ?? []);
			const detail = [loaded.error?.message, ...[].concat(causes).map((cause) => cause?.message)]
				.filter(Boolean)
				.join(': ');
			throw new HarnessError(`engine failed to load the form: ${detail}`);
		}
		if (loaded.warnings != null) {
			result.warnings.push(`engine load warnings: ${JSON.stringify(loaded.warnings)}`);
		}

		const instance = loaded.createInstance({
			preloadProperties: { deviceID: options.deviceId },
		});
		const { root } = instance;

		for (const { ref, value } of answers) {
			try {
				result.errors.push(...(await applyAnswer(root, ref, value)));
			} catch (error) {
				result.errors.push(`${ref}: engine error while setting value: ${error?.message ?? error}`);
			}
		}

		result.violations = collectViolations(root);

		const payload = await root.prepareInstancePayload({ payloadType: 'monolithic' });
		const instanceXml = await payload.data[0].get('xml_submission_file').text();
		result.instance_xml = instanceXml;
		result.instance_id = instanceIdFrom(instanceXml);

		if (options.submit) {
			if (result.violations.length > 0 || result.errors.length > 0) {
				// Not submitted: a real client would not let the user send this.
			} else if (payload.status !== 'ready') {
				result.errors.push(`not submitted: engine payload status is "${payload.status}"`);
			} else {
				await submit(options.server, payload);
			}
		}
	} finally {
		dom.window.close();
	}

	if (options.submit) {
		return result.submit_status === 201 && result.errors.length === 0 ? 0 : 1;
	}
	return result.violations.length === 0 && result.errors.length === 0 ? 0 : 1;
};

const finish = (code) => {
	process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(code));
};

run().then(finish, (error) => {
	if (error instanceof UsageError) {
		process.stderr.write(`${error.message}\n${USAGE}\n`);
		result.errors.push(`usage: ${error.message}`);
		finish(2);
	} else if (error instanceof NetworkError) {
		result.errors.push(`network: ${error.message}`);
		finish(2);
	} else if (error instanceof HarnessError) {
		result.errors.push(error.message);
		finish(1);
	} else {
		result.errors.push(`internal: ${error?.stack ?? error}`);
		finish(1);
	}
});
