#!/usr/bin/env bash
# Runs pgphase lint and squawk (npm package squawk-cli, a peer linter) over the Prisma corpus
# in ../shared/corpus/prisma and writes, into OUT (default build/lint-comparison):
#   counts.tsv         hits per rule for each tool (squawk with and without
#                      --assume-in-transaction, pgphase per severity)
#   crosswalk.tsv      per topic both tools cover: statements both flag, only squawk, only pgphase
#   disagreements.tsv  every statement one tool flags for a topic and the other does not, with
#                      the reason where it can be decided mechanically (table created earlier
#                      in the same file, ...)
#   disagreement-reasons.tsv  those grouped by topic, tool, rule and reason
#   pgphase.json, squawk.json, squawk-in-transaction.json  the raw outputs
# docs/lint-comparison.md judges the disagreements. Needs npm (once) and python3; not part of
# scripts/test.sh. Usage: scripts/compare-squawk.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/lint-comparison}
corpus=${PGPHASE_CORPUS:-../shared/corpus/prisma}
pgphase=${PGPHASE_BINARY:-build/pgphase}

squawk=${SQUAWK:-$(command -v squawk || true)}
if [[ -z $squawk ]]; then
  squawk=/tmp/squawk/node_modules/.bin/squawk
  if [[ ! -x $squawk ]]; then
    echo "installing squawk-cli into /tmp/squawk (npm)" >&2
    npm install --silent --prefix /tmp/squawk squawk-cli >&2
  fi
fi
[[ -d $corpus ]] || { echo "error: no corpus at $corpus" >&2; exit 2; }
[[ -x $pgphase ]] || { echo "error: no $pgphase; build first (cmake --build build)" >&2; exit 2; }
mkdir -p "$out"

files=("$corpus"/*.sql)
echo "squawk $("$squawk" --version | awk '{print $2}') and pgphase lint on ${#files[@]} files" >&2
# Both exit 1 when they find something; that is the expected outcome here.
"$squawk" --reporter json "${files[@]}" >"$out/squawk.json" || true
"$squawk" --assume-in-transaction --reporter json "${files[@]}" \
  >"$out/squawk-in-transaction.json" || true
# Each corpus file is a migration of a different project: Prisma semantics, no replay.
"$pgphase" lint --prisma --no-replay --format json "$corpus" >"$out/pgphase.json" || true

python3 - "$out" <<'PY'
import collections, json, os, re, sys

out = sys.argv[1]
load = lambda name: json.load(open(os.path.join(out, name)))
squawk = load("squawk.json")
squawk_tx = load("squawk-in-transaction.json")
pgphase = load("pgphase.json")["findings"]

# Topics both tools cover: squawk rules on the left, pgphase rules on the right.
TOPICS = {
    "create index without CONCURRENTLY": (["require-concurrent-index-creation"],
                                          ["create-index-non-concurrent"]),
    "drop index without CONCURRENTLY": (["require-concurrent-index-deletion"],
                                        ["drop-index-non-concurrent"]),
    "CONCURRENTLY in a transaction": (["ban-concurrent-index-creation-in-transaction"],
                                      ["concurrently-in-transaction"]),
    "SET NOT NULL": (["adding-not-nullable-field"], ["set-not-null"]),
    "ADD COLUMN NOT NULL without default": (["adding-required-field"],
                                            ["add-column-not-null-no-default"]),
    "ADD COLUMN with a default that rewrites": (["adding-field-with-default"],
                                                ["add-column-volatile-default"]),
    "ALTER COLUMN TYPE": (["changing-column-type"], ["alter-column-type", "enum-recreate"]),
    "RENAME COLUMN": (["renaming-column"], ["rename-column"]),
    "RENAME TABLE": (["renaming-table"], ["rename-table"]),
    "DROP COLUMN": (["ban-drop-column"], ["drop-column"]),
    "DROP TABLE": (["ban-drop-table"], ["drop-table"]),
    "constraint validated while locked": (
        ["adding-foreign-key-constraint", "constraint-missing-not-valid"],
        ["add-foreign-key-validates", "add-check-validates", "validate-in-same-transaction"]),
    "UNIQUE / PRIMARY KEY building an index": (
        ["disallowed-unique-constraint", "adding-serial-primary-key-field"],
        ["add-unique-constraint"]),
    "lock_timeout": (["require-lock-timeout"], ["missing-lock-timeout"]),
    "timestamp without time zone": (["prefer-timestamp-tz"], ["prefer-timestamptz"]),
    "serial instead of identity": (["prefer-identity"], ["prefer-identity"]),
    "identifier longer than 63 bytes": (["identifier-too-long"], ["identifier-too-long"]),
    # Only one tool has a rule for these; every hit is a disagreement to judge.
    "whole-table UPDATE/DELETE": ([], ["unbatched-update", "unbatched-delete"]),
    "probable rename (DROP + ADD COLUMN)": ([], ["probable-rename"]),
    "Prisma's Warnings header": ([], ["prisma-warning"]),
    "DROP NOT NULL": (["ban-drop-not-null"], []),
    "ADD VALUE without BEFORE/AFTER": (["require-enum-value-ordering"], []),
    "char(n) column": (["ban-char-field"], []),
}

base = lambda path: os.path.basename(path)

with open(os.path.join(out, "counts.tsv"), "w") as f:
    f.write("tool\trule\tseverity\thits\n")
    for name, findings in (("squawk", squawk), ("squawk --assume-in-transaction", squawk_tx)):
        for rule, n in sorted(collections.Counter(x["rule_name"] for x in findings).items()):
            f.write(f"{name}\t{rule}\twarning\t{n}\n")
    counts = collections.Counter((x["rule"], x["severity"]) for x in pgphase)
    for (rule, severity), n in sorted(counts.items()):
        f.write(f"pgphase\t{rule}\t{severity}\t{n}\n")

# A pgphase finding covers its statement's lines; squawk's lines are 0-based.
def statements(findings, rules):
    return [(base(x["file"]), x["line"], x["end_line"], x) for x in findings if x["rule"] in rules]

def squawk_lines(findings, rules):
    return [(base(x["file"]), x["line"] + 1, x) for x in findings if x["rule_name"] in rules]

def statement_at(path, line):
    """The statement around 1-based `line`: Prisma files end each statement with `;` at the end
    of a line, which is all this needs (only the reasons column depends on it)."""
    lines = open(path).read().split("\n")
    start = line - 1
    while start > 0 and not lines[start - 1].rstrip().endswith(";"):
        start -= 1
    end = line - 1
    while end < len(lines) - 1 and not lines[end].rstrip().endswith(";"):
        end += 1
    text = [l for l in lines[start:end + 1] if not l.strip().startswith("--")]
    return " ".join(l.strip() for l in text), "\n".join(lines[:start])

NAME = r'((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?)'
TARGET = re.compile(r'(?:ALTER\s+TABLE(?:\s+IF\s+EXISTS)?(?:\s+ONLY)?|\bON|DROP\s+TABLE'
                    r'(?:\s+IF\s+EXISTS)?|UPDATE|DELETE\s+FROM)\s+' + NAME, re.I)

def unquote(name):
    return name.split(".")[-1].strip('"')

def reason(topic, path, line, rule):
    """Why the tools disagree, where that can be decided mechanically; "" otherwise."""
    text, before = statement_at(path, line)
    target = TARGET.search(text)
    if target:
        table = unquote(target.group(1))
        created = re.compile(r'CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP\s+|TEMPORARY\s+|'
                             r'UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?' + NAME, re.I)
        if any(unquote(m.group(1)) == table for m in created.finditer(before)):
            return "table created earlier in the same file"
    if rule == "constraint-missing-not-valid" and re.search(r"PRIMARY\s+KEY|UNIQUE", text, re.I):
        return "PRIMARY KEY/UNIQUE have no NOT VALID form (pgphase: add-unique-constraint)"
    return ""

def first_line(path, line):
    text, _ = statement_at(path, line)
    return text[:100]

corpus_dir = os.path.dirname(pgphase[0]["file"]) if pgphase else "."
with open(os.path.join(out, "crosswalk.tsv"), "w") as cross, \
        open(os.path.join(out, "disagreements.tsv"), "w") as dis:
    cross.write("topic\tsquawk hits\tsquawk --assume-in-transaction hits\tpgphase hits\t"
                "statements both\tonly squawk\tonly pgphase\n")
    dis.write("topic\tflagged by\tfile\tline\tsquawk rule or pgphase rule (severity)\t"
              "reason (when mechanical)\tstatement\n")
    for topic, (squawk_rules, pgphase_rules) in TOPICS.items():
        ours = statements(pgphase, pgphase_rules)
        theirs = squawk_lines(squawk, squawk_rules)
        theirs_tx = squawk_lines(squawk_tx, squawk_rules)
        if topic == "lock_timeout":  # pgphase reports it once per file by design: compare files
            our_files = {f for f, *_ in ours}
            their_files = {f for f, *_ in theirs}
            cross.write(f"{topic}\t{len(theirs)}\t{len(theirs_tx)}\t{len(ours)}\t"
                        f"{len(our_files & their_files)} files\t"
                        f"{len(their_files - our_files)} files\t"
                        f"{len(our_files - their_files)} files\n")
            for f in sorted(their_files - our_files):
                dis.write(f"{topic}\tsquawk only\t{f}\t\trequire-lock-timeout\t\t\n")
            for f in sorted(our_files - their_files):
                dis.write(f"{topic}\tpgphase only\t{f}\t\tmissing-lock-timeout\t\t\n")
            continue
        both, only_theirs, only_ours = set(), [], []
        for f, line, x in theirs:
            match = [o for o in ours if o[0] == f and o[1] <= line <= o[2]]
            if match:
                both.add((f, match[0][1]))
            else:
                only_theirs.append((f, line, x["rule_name"]))
        for f, start, end, x in ours:
            if not any(t[0] == f and start <= t[1] <= end for t in theirs):
                only_ours.append((f, start, f'{x["rule"]} ({x["severity"]})'))
        cross.write(f"{topic}\t{len(theirs)}\t{len(theirs_tx)}\t{len(ours)}\t{len(both)}\t"
                    f"{len(only_theirs)}\t{len(only_ours)}\n")
        for f, line, rule in sorted(set(only_theirs)):
            path = os.path.join(corpus_dir, f)
            dis.write(f"{topic}\tsquawk only\t{f}\t{line}\t{rule}\t"
                      f"{reason(topic, path, line, rule)}\t{first_line(path, line)}\n")
        for f, line, rule in sorted(set(only_ours)):
            path = os.path.join(corpus_dir, f)
            dis.write(f"{topic}\tpgphase only\t{f}\t{line}\t{rule}\t"
                      f"{reason(topic, path, line, rule)}\t{first_line(path, line)}\n")

with open(os.path.join(out, "disagreements.tsv")) as f:
    rows = [r.rstrip("\n").split("\t") for r in f][1:]
summary = collections.Counter((r[0], r[1], r[4], r[5] or "(judged in docs/lint-comparison.md)")
                              for r in rows)
with open(os.path.join(out, "disagreement-reasons.tsv"), "w") as f:
    f.write("topic\tflagged by\trule\treason\tstatements\n")
    for key, n in sorted(summary.items()):
        f.write("\t".join(key) + f"\t{n}\n")
PY
column -t -s $'\t' "$out/crosswalk.tsv"
column -t -s $'\t' "$out/disagreement-reasons.tsv"
echo "wrote $out/{counts,crosswalk,disagreements,disagreement-reasons}.tsv" >&2
