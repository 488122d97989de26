//! The KQL vocabulary in one table: functions (scalar, aggregate, plugin) with their signatures,
//! tabular operators with their `name=` parameters, and the keyword lists (string operators,
//! clause words, type names, literals, statement keywords).
//!
//! Completion, signature help, "unknown function" diagnostics, the parser and the highlighter's
//! grammar all read their words from here, so they cannot disagree about what is a keyword.
//!
//! Sources of the facts:
//! - functions: `functions.json`, a trimmed copy of `kql-functions.json`, which lists the
//!   functions, aggregates and plugins of Microsoft's KQL language service (v12.4.1) with their
//!   parameters (name, declared types, optional, repeating);
//! - tabular operators, their parameters and `kind=` values: the tabular operator pages of the
//!   KQL reference (learn.microsoft.com/kusto/query);
//! - keywords: the KQL reference's pages on string operators, scalar data types and statements,
//!   checked against the language service's keyword list (kept in `functions.json`).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

// ---------------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------------

/// What a function is called as: a scalar function (anywhere an expression goes), an
/// aggregation (inside `summarize`, `make-series`, `top-nested` …) or a plugin (after `evaluate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FunctionKind {
    Scalar,
    Aggregate,
    Plugin,
}

impl FunctionKind {
    /// `scalar`, `aggregate` or `plugin` (the word `functions.json` uses).
    pub fn label(self) -> &'static str {
        match self {
            FunctionKind::Scalar => "scalar",
            FunctionKind::Aggregate => "aggregate",
            FunctionKind::Plugin => "plugin",
        }
    }
}

/// One parameter of a [`Signature`], as the language service declares it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Parameter {
    /// The declared name, e.g. `roundTo` (documentation only: KQL passes arguments by position).
    pub name: String,
    /// The declared KQL types (`string`, `long`, `datetime`, …); empty when the parameter takes a
    /// value of any type or its type depends on the other arguments.
    #[serde(default)]
    pub types: Vec<String>,
    /// May be left out.
    #[serde(default)]
    pub optional: bool,
    /// May be given any number of times (`strcat(arg, ...)`); consecutive repeating parameters
    /// repeat as a group (`case(predicate, then, ..., else)`).
    #[serde(default, rename = "repeats")]
    pub repeating: bool,
}

/// One way to call a function: its parameters in order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Signature {
    pub parameters: Vec<Parameter>,
}

/// A KQL function, aggregate or plugin with its signatures (at least one; a function with no
/// parameters has one empty signature).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Function {
    pub name: String,
    pub kind: FunctionKind,
    pub signatures: Vec<Signature>,
}

impl Function {
    /// Signature `i` as one line for signature help: `name(param: type|type, [optional], rep,
    /// ...)`. A parameter with declared types shows them after `: `, joined by `|`; an optional
    /// one is in brackets; after the last of a run of repeating parameters comes `, ...`. For
    /// example `strcat(arg, ...)`, `bin(value: timespan, roundTo: timespan)`,
    /// `dcount(expr, [accuracy])`, `arg_max(maximized, [returned, ...])`. An `i` past the last
    /// signature gives `name(…)`.
    pub fn signature_text(&self, i: usize) -> String {
        let Some(signature) = self.signatures.get(i) else {
            return format!("{}(…)", self.name);
        };
        let parameters = &signature.parameters;
        let parts: Vec<String> = parameters
            .iter()
            .enumerate()
            .map(|(at, p)| {
                let mut text = p.name.clone();
                if !p.types.is_empty() {
                    text.push_str(": ");
                    text.push_str(&p.types.join("|"));
                }
                let run_ends = parameters.get(at + 1).is_none_or(|next| !next.repeating);
                if p.repeating && run_ends {
                    text.push_str(", ...");
                }
                if p.optional {
                    text = format!("[{text}]");
                }
                text
            })
            .collect();
        format!("{}({})", self.name, parts.join(", "))
    }

    /// Whether some signature takes `count` arguments (optional parameters may be left out, a
    /// repeating run repeats).
    pub fn accepts(&self, count: usize) -> bool {
        self.signatures.iter().any(|signature| {
            let parameters = &signature.parameters;
            let required = parameters
                .iter()
                .filter(|p| !p.optional && !p.repeating)
                .count();
            let repeats = parameters.iter().any(|p| p.repeating);
            count >= required && (repeats || count <= parameters.len())
        })
    }

    /// Every signature as [`signature_text`](Self::signature_text) gives it, in order.
    pub fn signature_texts(&self) -> Vec<String> {
        (0..self.signatures.len())
            .map(|i| self.signature_text(i))
            .collect()
    }
}

/// The parsed `functions.json`, with a name index.
struct Functions {
    list: Vec<Function>,
    /// Name → indices into `list`, in file order (three names are both a scalar function and an
    /// aggregate: `hll_merge`, `tdigest_merge`, `merge_tdigest`).
    by_name: HashMap<String, Vec<usize>>,
}

/// The file as embedded: `{ "note", "functions": [Function…], "keywords": [word…] }`.
#[derive(Deserialize)]
struct FunctionsFile {
    functions: Vec<Function>,
    keywords: Vec<String>,
}

const FUNCTIONS_JSON: &str = include_str!("functions.json");

fn load() -> &'static (Functions, Vec<String>) {
    static TABLE: OnceLock<(Functions, Vec<String>)> = OnceLock::new();
    TABLE.get_or_init(|| {
        let file: FunctionsFile =
            serde_json::from_str(FUNCTIONS_JSON).expect("the bundled functions.json is valid");
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (at, f) in file.functions.iter().enumerate() {
            by_name.entry(f.name.clone()).or_default().push(at);
        }
        (
            Functions {
                list: file.functions,
                by_name,
            },
            file.keywords,
        )
    })
}

/// Every function, aggregate and plugin of the language service's table (481 entries, in the
/// table's order). A name that is both a scalar function and an aggregate has two entries.
pub fn functions() -> &'static [Function] {
    &load().0.list
}

/// The function called exactly `name` (KQL names are case-sensitive), in O(1). When a name is
/// both a scalar function and an aggregate, the first entry of the table (the scalar one);
/// [`functions_named`] gives both.
pub fn function(name: &str) -> Option<&'static Function> {
    let table = &load().0;
    let at = *table.by_name.get(name)?.first()?;
    Some(&table.list[at])
}

/// Every entry called exactly `name` (none, one, or two when a name is both scalar and aggregate).
pub fn functions_named(name: &str) -> impl Iterator<Item = &'static Function> {
    let table = &load().0;
    table
        .by_name
        .get(name)
        .into_iter()
        .flatten()
        .map(|&at| &table.list[at])
}

/// Whether `name` is an aggregation function (possibly also a scalar one): what `summarize`
/// and `make-series` take.
pub fn is_aggregate(name: &str) -> bool {
    functions_named(name).any(|f| f.kind == FunctionKind::Aggregate)
}

/// The keyword list of the language service (252 words, from `kql-functions.json`): a cross-check
/// for the lists below, which are what hunt uses.
pub fn language_service_keywords() -> &'static [String] {
    &load().1
}

// ---------------------------------------------------------------------------------------------
// Tabular operators
// ---------------------------------------------------------------------------------------------

/// A tabular operator: the word after `|` (or, for a source, at the start of a tabular
/// expression), from the tabular operator pages of the KQL reference
/// (learn.microsoft.com/kusto/query/…-operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabularOperator {
    /// The documented name, e.g. `mv-expand`.
    pub name: &'static str,
    /// Other names for the same operator, e.g. `mvexpand` (legacy) or `filter` for `where`.
    pub synonyms: &'static [&'static str],
    /// The documented `name=value` parameters written between the operator's name and its
    /// arguments, e.g. `kind`, `hint.strategy`, `withsource`, `with_itemindex`.
    pub parameters: &'static [&'static str],
    /// The documented values of `kind=` (for `mv-expand` also of `bagexpansion=`); empty when the
    /// operator takes no `kind`.
    pub kind_values: &'static [&'static str],
    /// Whether it may follow `|`. False for operators that only start a tabular expression
    /// (`datatable`, `print`, `range`, …); see also [`SOURCE_OPERATORS`].
    pub after_pipe: bool,
    /// What it does, in one line.
    pub doc: &'static str,
}

const OP: TabularOperator = TabularOperator {
    name: "",
    synonyms: &[],
    parameters: &[],
    kind_values: &[],
    after_pipe: true,
    doc: "",
};

/// Every tabular operator of KQL, in alphabetical order of name (graph operators by name only).
/// Source facts: the tabular operator pages of the KQL reference.
pub const TABULAR_OPERATORS: &[TabularOperator] = &[
    TabularOperator {
        name: "as",
        parameters: &["hint.materialized"],
        doc: "Names the input so later parts of the query can refer to it",
        ..OP
    },
    TabularOperator {
        name: "assert-schema",
        doc: "Fails unless the input has the given columns",
        ..OP
    },
    TabularOperator {
        name: "consume",
        parameters: &["decodeblocks"],
        doc: "Reads the input and outputs nothing",
        ..OP
    },
    TabularOperator {
        name: "count",
        doc: "Outputs one row with the number of input rows",
        ..OP
    },
    TabularOperator {
        name: "datatable",
        after_pipe: false,
        doc: "A table written inline: columns with types, then the values",
        ..OP
    },
    TabularOperator {
        name: "distinct",
        doc: "Keeps one row per distinct combination of the given columns",
        ..OP
    },
    TabularOperator {
        name: "evaluate",
        parameters: &[
            "hint.distribution",
            "hint.pass_filters",
            "hint.pass_filters_column",
        ],
        doc: "Runs a plugin over the input (or as a source)",
        ..OP
    },
    TabularOperator {
        name: "extend",
        doc: "Adds computed columns",
        ..OP
    },
    TabularOperator {
        name: "externaldata",
        synonyms: &["external_data"],
        after_pipe: false,
        doc: "Reads a table from external storage by URL",
        ..OP
    },
    TabularOperator {
        name: "facet",
        doc: "Outputs a count per value of each given column",
        ..OP
    },
    TabularOperator {
        name: "find",
        parameters: &["withsource"],
        after_pipe: false,
        doc: "Finds rows matching a predicate across tables",
        ..OP
    },
    TabularOperator {
        name: "fork",
        doc: "Runs several subqueries over the same input",
        ..OP
    },
    TabularOperator {
        name: "getschema",
        doc: "Outputs the input's columns and their types",
        ..OP
    },
    TabularOperator {
        name: "graph-mark-components",
        parameters: &["kind", "with_component_id"],
        kind_values: &["weak", "strong"],
        doc: "Marks the connected component of each graph node",
        ..OP
    },
    TabularOperator {
        name: "graph-match",
        parameters: &["cycles"],
        doc: "Matches a pattern of nodes and edges in a graph",
        ..OP
    },
    TabularOperator {
        name: "graph-shortest-paths",
        parameters: &["output", "cycles"],
        doc: "Finds shortest paths between graph nodes",
        ..OP
    },
    TabularOperator {
        name: "graph-to-table",
        parameters: &["with_node_id", "with_source_id", "with_target_id"],
        doc: "Turns a graph's nodes or edges into a table",
        ..OP
    },
    TabularOperator {
        name: "graph-where-edges",
        doc: "Keeps the graph edges matching a predicate",
        ..OP
    },
    TabularOperator {
        name: "graph-where-nodes",
        doc: "Keeps the graph nodes matching a predicate",
        ..OP
    },
    TabularOperator {
        name: "inline_external_table",
        after_pipe: false,
        doc: "An external table defined inside the query",
        ..OP
    },
    TabularOperator {
        name: "invoke",
        doc: "Calls a function that takes the input as its table",
        ..OP
    },
    TabularOperator {
        name: "join",
        parameters: &["kind", "hint.remote", "hint.strategy", "hint.shufflekey"],
        kind_values: &[
            "innerunique",
            "inner",
            "leftouter",
            "rightouter",
            "fullouter",
            "leftanti",
            "anti",
            "leftantisemi",
            "rightanti",
            "rightantisemi",
            "leftsemi",
            "rightsemi",
        ],
        doc: "Merges rows of two tables with matching keys",
        ..OP
    },
    TabularOperator {
        name: "lookup",
        parameters: &["kind"],
        kind_values: &["leftouter", "inner"],
        doc: "Adds columns from a dimension table, matched on keys",
        ..OP
    },
    TabularOperator {
        name: "macro-expand",
        parameters: &["kind", "isfuzzy"],
        kind_values: &["inner", "outer"],
        after_pipe: false,
        doc: "Runs a subquery over each entity of an entity group and unions the results",
        ..OP
    },
    TabularOperator {
        name: "make-graph",
        parameters: &["with_node_id"],
        doc: "Builds a graph from edge and node tables",
        ..OP
    },
    TabularOperator {
        name: "make-series",
        parameters: &["kind", "hint.shufflekey"],
        kind_values: &["nonempty"],
        doc: "Aggregates into arrays along an axis (a time series per group)",
        ..OP
    },
    TabularOperator {
        name: "mv-apply",
        synonyms: &["mvapply"],
        parameters: &["with_itemindex"],
        doc: "Runs a subquery over the elements of each row's array",
        ..OP
    },
    TabularOperator {
        name: "mv-expand",
        synonyms: &["mvexpand"],
        parameters: &["kind", "bagexpansion", "with_itemindex"],
        kind_values: &["bag", "array"],
        doc: "Makes a row per element of an array or property bag",
        ..OP
    },
    TabularOperator {
        name: "parse",
        parameters: &["kind", "flags"],
        kind_values: &["simple", "regex", "relaxed"],
        doc: "Extracts columns from a string by a pattern",
        ..OP
    },
    TabularOperator {
        name: "parse-kv",
        doc: "Extracts key-value pairs from a string into columns",
        ..OP
    },
    TabularOperator {
        name: "parse-where",
        parameters: &["kind", "flags"],
        kind_values: &["simple", "regex"],
        doc: "Like parse, and drops rows that do not match",
        ..OP
    },
    TabularOperator {
        name: "partition",
        parameters: &[
            "hint.strategy",
            "hint.shufflekey",
            "hint.materialized",
            "hint.concurrency",
            "hint.spread",
        ],
        doc: "Runs a subquery on each group of rows with the same key",
        ..OP
    },
    TabularOperator {
        name: "print",
        after_pipe: false,
        doc: "Outputs one row of scalar expressions",
        ..OP
    },
    TabularOperator {
        name: "project",
        doc: "Keeps, renames or computes the listed columns only",
        ..OP
    },
    TabularOperator {
        name: "project-away",
        doc: "Drops the listed columns",
        ..OP
    },
    TabularOperator {
        name: "project-by-names",
        doc: "Keeps columns chosen by name strings",
        ..OP
    },
    TabularOperator {
        name: "project-keep",
        doc: "Keeps the listed columns, in their input order",
        ..OP
    },
    TabularOperator {
        name: "project-rename",
        doc: "Renames columns",
        ..OP
    },
    TabularOperator {
        name: "project-reorder",
        doc: "Moves the listed columns first",
        ..OP
    },
    TabularOperator {
        name: "range",
        after_pipe: false,
        doc: "Outputs a column of evenly stepped values",
        ..OP
    },
    TabularOperator {
        name: "reduce",
        parameters: &["kind"],
        kind_values: &["source"],
        doc: "Groups similar strings under patterns",
        ..OP
    },
    TabularOperator {
        name: "render",
        doc: "Says how to chart the result",
        ..OP
    },
    TabularOperator {
        name: "sample",
        doc: "Keeps up to N random rows",
        ..OP
    },
    TabularOperator {
        name: "sample-distinct",
        doc: "Outputs up to N distinct values of a column",
        ..OP
    },
    TabularOperator {
        name: "scan",
        parameters: &["with_match_id"],
        doc: "Matches sequences of rows against steps, with state",
        ..OP
    },
    TabularOperator {
        name: "search",
        parameters: &["kind"],
        kind_values: &["default", "case_insensitive", "case_sensitive"],
        doc: "Finds rows containing a term in any column",
        ..OP
    },
    TabularOperator {
        name: "serialize",
        doc: "Fixes the row order so window functions can be used",
        ..OP
    },
    TabularOperator {
        name: "sort",
        synonyms: &["order"],
        doc: "Sorts rows by columns (descending by default)",
        ..OP
    },
    TabularOperator {
        name: "summarize",
        parameters: &["hint.num_partitions", "hint.shufflekey", "hint.strategy"],
        doc: "Aggregates rows by group",
        ..OP
    },
    TabularOperator {
        name: "take",
        synonyms: &["limit"],
        doc: "Keeps up to N rows, in no particular order",
        ..OP
    },
    TabularOperator {
        name: "top",
        doc: "Keeps the first N rows sorted by an expression",
        ..OP
    },
    TabularOperator {
        name: "top-hitters",
        doc: "Approximates the most frequent values",
        ..OP
    },
    TabularOperator {
        name: "top-nested",
        doc: "Hierarchical top values, one level per clause",
        ..OP
    },
    TabularOperator {
        name: "union",
        parameters: &[
            "kind",
            "withsource",
            "isfuzzy",
            "hint.concurrency",
            "hint.spread",
        ],
        kind_values: &["inner", "outer"],
        doc: "Rows of several tables together, by column name",
        ..OP
    },
    TabularOperator {
        name: "where",
        synonyms: &["filter"],
        doc: "Keeps rows for which a predicate is true",
        ..OP
    },
];

/// Operators that may start a tabular expression (no input before them): the ones with
/// `after_pipe == false`, and `evaluate`, `search` and `union`, which work both ways.
pub const SOURCE_OPERATORS: &[&str] = &[
    "datatable",
    "evaluate",
    "externaldata",
    "external_data",
    "find",
    "inline_external_table",
    "macro-expand",
    "print",
    "range",
    "search",
    "union",
];

/// The tabular operator called `word` (its name or a synonym, case-sensitive), e.g. `filter`
/// gives `where`, `mvexpand` gives `mv-expand`.
pub fn tabular_operator(word: &str) -> Option<&'static TabularOperator> {
    TABULAR_OPERATORS
        .iter()
        .find(|op| op.name == word || op.synonyms.contains(&word))
}

// ---------------------------------------------------------------------------------------------
// Keywords
// ---------------------------------------------------------------------------------------------

/// The string and set operators written as words (KQL reference, "String operators", "in",
/// "between", "matches regex"), each with its `!` negation where it has one. `matches regex` is
/// two words (any white space between them).
pub const STRING_OPERATORS: &[&str] = &[
    "has",
    "!has",
    "has_cs",
    "!has_cs",
    "hasprefix",
    "!hasprefix",
    "hasprefix_cs",
    "!hasprefix_cs",
    "hassuffix",
    "!hassuffix",
    "hassuffix_cs",
    "!hassuffix_cs",
    "contains",
    "!contains",
    "contains_cs",
    "!contains_cs",
    "startswith",
    "!startswith",
    "startswith_cs",
    "!startswith_cs",
    "endswith",
    "!endswith",
    "endswith_cs",
    "!endswith_cs",
    "has_any",
    "has_all",
    "in",
    "!in",
    "in~",
    "!in~",
    "between",
    "!between",
    "matches regex",
    // Legacy spellings Kusto's parser still accepts (the language service's keyword list).
    "containscs",
    "!containscs",
    "notcontains",
    "notcontainscs",
    "like",
    "likecs",
    "notlike",
    "notlikecs",
];

/// The logical operators written as words. (`not` is a function: `not(x)`.)
pub const LOGICAL_OPERATORS: &[&str] = &["and", "or"];

/// Words that belong to an operator's clauses: `by`, `on`, `with`, `kind`, sort order (`asc`,
/// `desc`, `nulls first/last`, `granny-asc`), ranges (`from`, `to`, `step`), `of`
/// (`top-nested`, `sample-distinct`), `typeof` (`to typeof(…)`), `default` (make-series),
/// `project-smart` (find), `output` (scan steps, graph-shortest-paths).
pub const CLAUSE_KEYWORDS: &[&str] = &[
    "by",
    "on",
    "with",
    "kind",
    "asc",
    "desc",
    "granny-asc",
    "granny-desc",
    "nulls",
    "first",
    "last",
    "from",
    "to",
    "step",
    "of",
    "typeof",
    "default",
    "project-smart",
    "output",
];

/// The scalar type names with their documented synonyms (KQL reference, "Scalar data types"):
/// `bool`/`boolean`, `datetime`/`date`, `decimal`, `dynamic`, `guid`/`uuid`/`uniqueid`, `int`,
/// `long`, `real`/`double`, `string`, `timespan`/`time`.
pub const TYPE_NAMES: &[&str] = &[
    "bool", "boolean", "datetime", "date", "decimal", "dynamic", "guid", "uuid", "uniqueid", "int",
    "long", "real", "double", "string", "timespan", "time",
];

/// Literal words: `true` and `false`. `null` is here too, though it is only a literal inside a
/// typed one (`long(null)`, `dynamic(null)`), where it still reads as a constant.
pub const LITERAL_KEYWORDS: &[&str] = &["true", "false", "null"];

/// Words that begin a query statement (KQL reference, "Query statements"): `let`, `set`,
/// `declare` (`declare query_parameters`, `declare pattern`), `alias`, `pattern`, `restrict`,
/// and `view` (in `let f = view () {…}`).
pub const STATEMENT_KEYWORDS: &[&str] = &[
    "let",
    "set",
    "declare",
    "query_parameters",
    "alias",
    "pattern",
    "restrict",
    "view",
];

/// Whether `word` is a string or set operator of [`STRING_OPERATORS`] (`has`, `!in~`,
/// `matches regex` with one space, …). Case-sensitive, like KQL.
pub fn is_string_operator(word: &str) -> bool {
    STRING_OPERATORS.contains(&word)
}

/// Whether `word` is `and` or `or`.
pub fn is_logical_operator(word: &str) -> bool {
    LOGICAL_OPERATORS.contains(&word)
}

/// Whether `word` is one of [`CLAUSE_KEYWORDS`].
pub fn is_clause_keyword(word: &str) -> bool {
    CLAUSE_KEYWORDS.contains(&word)
}

/// Whether `word` is a scalar type name or synonym of [`TYPE_NAMES`].
pub fn is_type_name(word: &str) -> bool {
    TYPE_NAMES.contains(&word)
}

/// Whether `word` is one of [`LITERAL_KEYWORDS`].
pub fn is_literal_keyword(word: &str) -> bool {
    LITERAL_KEYWORDS.contains(&word)
}

/// Whether `word` is one of [`STATEMENT_KEYWORDS`].
pub fn is_statement_keyword(word: &str) -> bool {
    STATEMENT_KEYWORDS.contains(&word)
}

/// Every name and synonym of the tabular operators that may follow `|`, longest first (so a
/// regex alternation built from them prefers `project-away` to `project`).
pub fn pipe_operator_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = TABULAR_OPERATORS
        .iter()
        .filter(|op| op.after_pipe)
        .flat_map(|op| std::iter::once(op.name).chain(op.synonyms.iter().copied()))
        .collect();
    longest_first(&mut words);
    words
}

/// Sorts words longest first, then alphabetically (a stable order for generated regexes).
pub fn longest_first(words: &mut [&str]) {
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_functions_table_is_complete() {
        assert_eq!(functions().len(), 481);
        assert_eq!(language_service_keywords().len(), 252);
        // Every entry is found by its name.
        for f in functions() {
            assert!(functions_named(&f.name).any(|g| std::ptr::eq(f, g)));
            assert!(!f.signatures.is_empty(), "{}", f.name);
        }
        let kinds = |k| functions().iter().filter(|f| f.kind == k).count();
        assert_eq!(kinds(FunctionKind::Scalar), 385);
        assert_eq!(kinds(FunctionKind::Aggregate), 52);
        assert_eq!(kinds(FunctionKind::Plugin), 44);
    }

    #[test]
    fn functions_are_found_by_exact_name() {
        let strcat = function("strcat").unwrap();
        assert_eq!(strcat.kind, FunctionKind::Scalar);
        assert!(strcat.signatures[0].parameters[0].repeating);
        assert_eq!(function("arg_max").unwrap().kind, FunctionKind::Aggregate);
        assert_eq!(function("bag_unpack").unwrap().kind, FunctionKind::Plugin);
        let bin = function("bin").unwrap();
        assert_eq!(bin.signatures.len(), 4);
        assert!(function("Strcat").is_none(), "names are case-sensitive");
        assert!(function("no_such_function").is_none());
        // A name that is scalar and aggregate: the scalar first, both through functions_named.
        assert_eq!(function("hll_merge").unwrap().kind, FunctionKind::Scalar);
        assert_eq!(functions_named("hll_merge").count(), 2);
        assert!(is_aggregate("hll_merge") && is_aggregate("dcount"));
        assert!(!is_aggregate("strcat") && !is_aggregate("nope"));
    }

    #[test]
    fn signature_text_shapes() {
        let text = |name: &str, i| function(name).unwrap().signature_text(i);
        assert_eq!(text("strcat", 0), "strcat(arg, ...)");
        assert_eq!(text("bin", 0), "bin(value, roundTo)");
        assert_eq!(text("bin", 1), "bin(value: timespan, roundTo: timespan)");
        assert_eq!(text("dcount", 0), "dcount(expr, [accuracy])");
        assert_eq!(text("arg_max", 0), "arg_max(maximized, [returned, ...])");
        assert_eq!(
            text("case", 0),
            "case(predicate: bool, then, ..., else)",
            "a run of repeating parameters repeats as a group"
        );
        assert_eq!(text("count", 0), "count()");
        assert_eq!(text("count", 1), "count(predicate: bool)");
        assert_eq!(
            text("table", 0),
            "table(name: string, [query_data_scope: string])"
        );
        assert_eq!(text("count", 9), "count(…)");
        assert_eq!(function("count").unwrap().signature_texts().len(), 2);
        // Several declared types (none in the table today) are joined with `|`.
        let made = Function {
            name: "f".into(),
            kind: FunctionKind::Scalar,
            signatures: vec![Signature {
                parameters: vec![Parameter {
                    name: "value".into(),
                    types: vec!["long".into(), "real".into()],
                    optional: true,
                    repeating: true,
                }],
            }],
        };
        assert_eq!(made.signature_text(0), "f([value: long|real, ...])");
    }

    #[test]
    fn every_operator_is_found_by_its_names() {
        for op in TABULAR_OPERATORS {
            assert_eq!(tabular_operator(op.name), Some(op));
            for synonym in op.synonyms {
                assert_eq!(tabular_operator(synonym), Some(op), "{synonym}");
            }
            assert!(!op.doc.is_empty(), "{}", op.name);
            assert!(
                op.kind_values.is_empty() || op.parameters.contains(&"kind") || op.name == "search",
                "{}",
                op.name
            );
        }
        assert_eq!(tabular_operator("filter").unwrap().name, "where");
        assert_eq!(tabular_operator("order").unwrap().name, "sort");
        assert_eq!(tabular_operator("limit").unwrap().name, "take");
        assert_eq!(tabular_operator("mvexpand").unwrap().name, "mv-expand");
        assert_eq!(tabular_operator("mvapply").unwrap().name, "mv-apply");
        assert!(tabular_operator("Where").is_none());
        assert!(tabular_operator("has").is_none());
        let join = tabular_operator("join").unwrap();
        assert!(join.kind_values.contains(&"innerunique"));
        assert!(join.parameters.contains(&"hint.strategy"));
        // Names are unique across names and synonyms.
        let mut all: Vec<&str> = TABULAR_OPERATORS
            .iter()
            .flat_map(|op| std::iter::once(op.name).chain(op.synonyms.iter().copied()))
            .collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count);
        // Sources are operators, and an operator that cannot follow `|` is a source.
        for source in SOURCE_OPERATORS {
            assert!(tabular_operator(source).is_some(), "{source}");
        }
        for op in TABULAR_OPERATORS.iter().filter(|op| !op.after_pipe) {
            assert!(SOURCE_OPERATORS.contains(&op.name), "{}", op.name);
        }
        let pipe = pipe_operator_words();
        assert!(pipe.contains(&"filter") && !pipe.contains(&"datatable"));
        assert!(
            pipe.iter().position(|w| *w == "project-away")
                < pipe.iter().position(|w| *w == "project")
        );
    }

    #[test]
    fn keywords_agree_with_the_language_service() {
        let service = language_service_keywords();
        let known = |w: &str| service.iter().any(|k| k == w);
        // Operator names and synonyms, plain string operators, types, logical and statement words.
        for op in TABULAR_OPERATORS {
            for word in std::iter::once(op.name).chain(op.synonyms.iter().copied()) {
                assert!(known(word), "{word}");
            }
        }
        for word in STRING_OPERATORS.iter().filter(|w| !w.starts_with('!')) {
            assert!(known(word), "{word}");
        }
        for word in TYPE_NAMES
            .iter()
            .chain(LOGICAL_OPERATORS)
            .chain(STATEMENT_KEYWORDS)
        {
            assert!(known(word), "{word}");
        }
    }

    #[test]
    fn keyword_predicates() {
        assert!(is_string_operator("has") && is_string_operator("!in~"));
        assert!(is_string_operator("matches regex"));
        assert!(!is_string_operator("HAS") && !is_string_operator("where"));
        assert!(is_logical_operator("and") && !is_logical_operator("not"));
        assert!(is_clause_keyword("by") && is_clause_keyword("nulls"));
        assert!(is_type_name("timespan") && is_type_name("boolean"));
        assert!(is_literal_keyword("true") && !is_literal_keyword("True"));
        assert!(is_statement_keyword("let") && is_statement_keyword("declare"));
        // No word is in two lists.
        let lists: [&[&str]; 6] = [
            STRING_OPERATORS,
            LOGICAL_OPERATORS,
            CLAUSE_KEYWORDS,
            TYPE_NAMES,
            LITERAL_KEYWORDS,
            STATEMENT_KEYWORDS,
        ];
        let mut all: Vec<&str> = lists.iter().flat_map(|l| l.iter().copied()).collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count);
    }
}
