// The ajv baseline for `zenith check`: each line of a JSON Lines capture of bare messages is
// parsed with JSON.parse and validated with ajv (draft 2020-12, every schema file registered,
// formats checked), dispatched by its envelope keys like the Rust baselines in capture-bench.
//
//   npm ci && node bench.mjs /tmp/bare.jsonl

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";

const schemasDir = new URL("../../../schemas/", import.meta.url).pathname;
const path = process.argv[2];
if (!path) {
  console.error("usage: node bench.mjs FILE.jsonl");
  process.exit(2);
}

// The protocol's formats, with the same rules as the Rust runtime: real calendar dates and
// clock times, and durations whose minutes and seconds stay under 60.
const DATETIME = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:[.,]\d+)?(?:Z|[+-](\d{2}):?(\d{2})?)$/;
function isDateTime(text) {
  const m = DATETIME.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[7] === undefined || (Number(m[7]) < 24 && (m[8] === undefined || Number(m[8]) < 60));
  return month >= 1 && month <= 12 && day >= 1 && day <= days && hour < 24 && minute < 60 && second < 61 && offsetOk;
}
const TIME = /^(?:\d+\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?$/;
function isTime(text) {
  const m = TIME.exec(text);
  return m !== null && Number(m[1]) < 24 && Number(m[2]) < 60 && (m[3] === undefined || Number(m[3]) < 60);
}

const DATE = /^(\d{4})(-?)(\d{2})\2(\d{2})(?:Z|[+-](\d{2})(?::?(\d{2}))?)?$/;
function isDate(text) {
  const m = DATE.exec(text);
  if (!m) return false;
  const [year, month, day] = [m[1], m[3], m[4]].map(Number);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[5] === undefined || (Number(m[5]) < 24 && (m[6] === undefined || Number(m[6]) < 60));
  return month >= 1 && month <= 12 && day >= 1 && day <= days && offsetOk;
}

const ajv = new Ajv2020({ strict: false, allErrors: false });
ajv.addFormat("zenith-datetime", isDateTime);
ajv.addFormat("zenith-time", isTime);
ajv.addFormat("zenith-date", isDate);
ajv.addFormat("zenith-date-or-datetime", (text) => (text.includes("T") ? isDateTime(text) : isDate(text)));

// Every schema registered; message schemas indexed by their catalog keys.
const messages = [];
for (const folder of readdirSync(schemasDir)) {
  for (const file of readdirSync(join(schemasDir, folder))) {
    const schema = JSON.parse(readFileSync(join(schemasDir, folder, file), "utf8"));
    ajv.addSchema(schema);
    if (schema["x-zenith"]) messages.push(schema);
  }
}
const table = new Map();
for (const schema of messages) {
  const z = schema["x-zenith"];
  table.set([z.direction, z.action, z.controller, z.topic].join("\0"), ajv.getSchema(schema.$id));
}
// A topic's own schema wins over one for every controller, which wins over one for every topic.
function lookup(direction, action, controller, topic) {
  for (const [c, t] of [[controller, topic], ["*", topic], [controller, "*"], ["*", "*"]]) {
    const validate = table.get([direction, action, c, t].join("\0"));
    if (validate) return validate;
  }
  return undefined;
}

function lines(text, each) {
  let accepted = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    if (end > start && each(text.slice(start, end))) accepted++;
    start = end + 1;
  }
  return accepted;
}

function best(name, run) {
  let fastest = Infinity;
  let count = 0;
  for (let i = 0; i < 3; i++) {
    const started = process.hrtime.bigint();
    count = run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e9);
  }
  console.log(`${name.padEnd(40)} ${fastest.toFixed(3).padStart(8)} s  (${count} lines)`);
}

best("node JSON.parse", () => lines(readFileSync(path, "utf8"), (line) => {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}));
best("node JSON.parse + ajv (dispatch)", () => lines(readFileSync(path, "utf8"), (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return false;
  }
  if (message === null || typeof message !== "object" || Array.isArray(message)) return false;
  const controller = message.Controller ?? "Zenith";
  const topic = typeof message.Topic === "string" ? message.Topic.split("!")[0] : undefined;
  const action = message.Action ?? "Publish";
  return ["send", "receive"].some((direction) => {
    const validate = lookup(direction, action, controller, topic);
    return validate !== undefined && validate(message);
  });
}));
