// Tokenise .sop files with VS Code's own TextMate engine, for tests/test_editors.py.
//
//   node tokenize.mjs GRAMMAR.json FILE...
//   node tokenize.mjs GRAMMAR.json < texts.json      ({"name": "text", ...})
//
// Prints one JSON object: {"regex_errors": [...], "files": {NAME: [line, ...]}}
// where each line is a list of [start, end, [scope, ...]] tokens, as VS Code
// colours them; start and end count code points (as Python does), not the
// UTF-16 units of JavaScript (an emoji is two of those). Every regex of the grammar (match, begin, end) is also compiled
// on its own with Oniguruma, so one that no example reaches is still checked.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = dirname(fileURLToPath(import.meta.url));
const [grammarPath, ...files] = process.argv.slice(2);
const grammarText = readFileSync(grammarPath, "utf8");

const wasm = readFileSync(join(here, "node_modules", "vscode-oniguruma", "release", "onig.wasm")).buffer;
await oniguruma.loadWASM(wasm);
const onigLib = Promise.resolve({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (text) => new oniguruma.OnigString(text),
});

function regexErrors(raw) {
  const errors = [];
  const visit = (node, where) => {
    if (Array.isArray(node)) { node.forEach((item, i) => visit(item, `${where}[${i}]`)); return; }
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (["match", "begin", "end", "while"].includes(key) && typeof value === "string") {
        try { new oniguruma.OnigScanner([value]).dispose(); }
        catch (problem) { errors.push(`${where}.${key}: ${problem.message}: ${value}`); }
      } else {
        visit(value, `${where}.${key}`);
      }
    }
  };
  visit(raw, "$");
  return errors;
}

const registry = new vsctm.Registry({
  onigLib,
  loadGrammar: async (scopeName) =>
    scopeName === "source.sop" ? vsctm.parseRawGrammar(grammarText, grammarPath) : null,
});
const grammar = await registry.loadGrammar("source.sop");

// codePoints[i]: how many code points the first i UTF-16 units of the line hold
function codePointIndex(line) {
  const index = new Array(line.length + 2).fill(0);
  let points = 0;
  for (let unit = 0; unit < line.length; unit++) {
    index[unit] = points;
    const code = line.charCodeAt(unit);
    if (code < 0xd800 || code > 0xdbff || unit + 1 >= line.length) points++;
  }
  index[line.length] = points;
  index[line.length + 1] = points;
  return index;
}

const result = { regex_errors: regexErrors(JSON.parse(grammarText)), files: {} };
const texts = files.length
  ? Object.fromEntries(files.map((file) => [file, readFileSync(file, "utf8")]))
  : JSON.parse(readFileSync(0, "utf8"));
for (const [name, text] of Object.entries(texts)) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let stack = vsctm.INITIAL;
  result.files[name] = lines.map((line) => {
    const { tokens, ruleStack } = grammar.tokenizeLine(line, stack);
    stack = ruleStack;
    const at = codePointIndex(line);
    return tokens.map((t) => [at[t.startIndex], at[Math.min(t.endIndex, line.length)], t.scopes]);
  });
}
process.stdout.write(JSON.stringify(result));
