'use strict';

// Runs eventhub's Zapier definition in Zapier's own runtime for the pytest
// suite. Reads one JSON request on stdin and prints one JSON answer on stdout:
//
//   {"command": "validate", "definition": PATH}
//     -> {"ok": true, "app": [...], "schema": [...], "triggers": {KEY: [...]}}
//   {"command": "invoke", "definition": PATH, "calls": [{"method": "a.dotted.path", "bundle": {...}}]}
//     -> {"ok": ALL OK, "results": [{"ok": true, "result": ...} or {"ok": false, "error": {...}}]}
//
// The calls run one after another in one process, so that a test making many
// costs one start of the runtime, not one each.
//
// Every answer also holds "refused": the connections beyond loopback that
// something tried to open. They are refused, so nothing leaves the machine.

const net = require('net');
const util = require('util');

// zapier-platform-core streams its logs to Zapier only when one of these is
// set (createAppTester sets neither); dropping them makes sure it never does.
for (const name of ['LOGGING_TOKEN', 'LOGGING_ENDPOINT', 'ZAPIER_DEPLOY_KEY']) {
  delete process.env[name];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const refused = [];
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options =
    first !== null && typeof first === 'object'
      ? first
      : { port: first, host: args[1] };
  const host = options.host || 'localhost';
  if (options.path || LOOPBACK.has(host)) {
    return connect.apply(this, args);
  }

  refused.push(`${host}:${options.port}`);
  process.nextTick(() =>
    this.destroy(new Error(`refused ${host}: this harness allows loopback only`)),
  );
  return this;
};

// stdout carries the answer alone; anything the runtime prints goes to stderr.
console.log = (...parts) => process.stderr.write(util.format(...parts) + '\n');
console.info = console.log;

const zapier = require('zapier-platform-core');
const { findSourceRequireFunctions } = require('zapier-platform-core/src/tools/schema-tools');
const { validateAppDefinition } = require('zapier-platform-schema');
const TriggerSchema = require('zapier-platform-schema/lib/schemas/TriggerSchema');

const describeErrors = (errors) =>
  errors.map((error) => `${error.property || 'instance'} ${error.message}`.trim());

const validate = async (definition) => {
  // The check `zapier validate` runs, through the app handler itself.
  const handler = zapier.createAppHandler(definition);
  const app = await handler({ command: 'validate', bundle: {} });

  const triggers = {};
  for (const [key, trigger] of Object.entries(definition.triggers || {})) {
    // Validating the app alone never looks for a trigger's sample; the
    // trigger's own schema does.
    triggers[key] = describeErrors(TriggerSchema.validate(trigger).errors);
  }

  return {
    ok: true,
    app: describeErrors(app.results || []),
    schema: describeErrors(validateAppDefinition(definition).errors),
    triggers,
  };
};

const call = async (definition, method, bundle) => {
  const target = method.split('.').reduce((node, part) => node && node[part], definition);
  if (target === undefined) {
    return { ok: false, error: { name: 'UsageError', message: `no ${method} in the definition` } };
  }

  // Passed by identity, the step resolves to this path even though every
  // trigger has an identical unsubscribe step and perform source.
  const appTester = zapier.createAppTester(definition);
  try {
    return { ok: true, result: await appTester(target, bundle || {}) };
  } catch (error) {
    return {
      ok: false,
      error: { name: error.name, message: error.message, status: error.status },
    };
  }
};

const invoke = async (json, calls) => {
  // The runtime turns each {"source": ...} step into a function when it loads
  // an app; doing that first lets a step be named by the very object.
  const definition = findSourceRequireFunctions(json);
  const results = [];
  for (const { method, bundle } of calls) {
    results.push(await call(definition, method, bundle));
  }

  return { ok: results.every((result) => result.ok), results };
};

const main = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const definition = require(request.definition);

  if (request.command === 'validate') {
    return validate(definition);
  }
  if (request.command === 'invoke') {
    return invoke(definition, request.calls || []);
  }
  return { ok: false, error: { name: 'UsageError', message: `unknown command ${request.command}` } };
};

main()
  .catch((error) => ({ ok: false, error: { name: error.name, message: error.message } }))
  .then((answer) => {
    process.stdout.write(JSON.stringify({ ...answer, refused }) + '\n', () => {
      process.exit(answer.ok ? 0 : 1);
    });
  });
