//! Name resolution over the syntax tree ([`super::syntax`]): which tables, columns and functions a
//! query names that do not exist, and which columns are in scope at a place in the text.
//!
//! The analysis walks the statements in order, with a scope of `let`-bound names (scalars,
//! tabular values with their columns, functions with their parameters), and follows the columns
//! through every operator of every pipeline: a table gives its schema's columns, `where` keeps
//! them, `project` and `summarize` replace them, `extend` adds to them, `join` merges two sides,
//! and so on. The result column names follow the KQL reference
//! (learn.microsoft.com/kusto/query: `summarize-operator` "Default column names": `count()` →
//! `count_`, `dcount(A)` → `dcount_A`, `make_set(X)` → `set_X`, `arg_max(T, *)` → every
//! column; `join-operator`: a right-side column whose name the left side has gets the suffix
//! `1`; `mv-expand-operator`: expanded columns are `dynamic` unless `to typeof(T)`; `getschema`,
//! `count`, `parse`, `parse-kv`, `range`, `datatable` declare theirs).
//!
//! Wherever the rules are not known exactly (an unnamed computed column, a plugin's output, a
//! `fork`, a call of a function whose body cannot be read) the column set is *open*: unknown
//! extra columns may be there, so no column is reported unknown. The analysis prefers saying
//! nothing to saying something false.
//!
//! Pure: no I/O, no Arrow. The findings are warnings: the active backend's schema may lag the
//! service's.

use std::collections::HashMap;

use super::Span;
use super::completion::SchemaTable;
use super::language;
use super::syntax::SyntaxKind::{self, *};
use super::syntax::{SyntaxElement, SyntaxNode, SyntaxToken};

/// The tables a query may name, with their columns (name, KQL type name such as `string`).
/// Table and column names are case-sensitive in KQL.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    tables: Vec<SchemaTable>,
    index: HashMap<String, usize>,
}

impl Schema {
    /// A schema of these tables (a later table of the same name replaces an earlier one). An
    /// empty schema (no backend yet) reports no unknown tables.
    pub fn new(tables: &[SchemaTable]) -> Schema {
        let mut schema = Schema::default();
        for table in tables {
            if let Some(&at) = schema.index.get(&table.name) {
                schema.tables[at] = table.clone();
            } else {
                schema.index.insert(table.name.clone(), schema.tables.len());
                schema.tables.push(table.clone());
            }
        }
        schema
    }

    /// The table called exactly `name`.
    pub fn table(&self, name: &str) -> Option<&SchemaTable> {
        self.index.get(name).map(|&at| &self.tables[at])
    }

    /// Every table, in the order given.
    pub fn tables(&self) -> &[SchemaTable] {
        &self.tables
    }
}

/// How bad a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// A problem found by the analysis: where, how bad, what (`unknown column 'Acount'; did you
/// mean 'Account'?`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub span: Span,
    pub severity: Severity,
    pub message: String,
}

/// Unknown tables, columns and functions in the query under `root` (the `QUERY` node of
/// [`super::syntax::parse`]), as warnings in source order. Columns are reported only where the
/// set of columns flowing into the operator is fully known (see the module's documentation).
pub fn analyse(root: &SyntaxNode, schema: &Schema) -> Vec<Finding> {
    let mut analyser = Analyser::new(schema, None);
    analyser.statements(root);
    let mut findings = analyser.findings;
    findings.sort_by_key(|f| (f.span.start, f.span.end));
    findings.dedup();
    findings
}

/// The columns (name, KQL type name or `""` when unknown) in scope at byte `offset` of the text
/// under `root`: the input of the operator the cursor is in (for `join`'s and `lookup`'s `on`
/// clause, both sides' columns; inside `summarize … by`, the input's). `None` when the cursor is
/// not inside an operator (at a pipeline's source, between statements). One walk of the tree;
/// works on half-written text (an operator being typed at the end, `| where Acc`). When the
/// columns are open (partly unknown), the known ones are given.
pub fn columns_at(
    root: &SyntaxNode,
    offset: usize,
    schema: &Schema,
) -> Option<Vec<(String, String)>> {
    analysed_at(root, offset, schema)?
        .at_cursor
        .map(|cols| cols.list)
}

/// The analysis of the whole query with the cursor at `offset`. The cursor stands after the
/// token being typed: the last significant token that starts before it is the one looked at, so
/// `T | where Acc|` and `T | |` both land in their operator. `None` before any token.
fn analysed_at<'s>(root: &SyntaxNode, offset: usize, schema: &'s Schema) -> Option<Analyser<'s>> {
    let length = usize::from(root.text_range().end());
    let offset = offset.min(length);
    let mut token = root.token_at_offset(to_size(offset)).left_biased();
    while let Some(t) = &token {
        if usize::from(t.text_range().start()) < offset && !t.kind().is_trivia() {
            break;
        }
        token = t.prev_token();
    }
    let at = usize::from(token?.text_range().start());
    let mut analyser = Analyser::new(schema, Some(at));
    analyser.statements(root);
    Some(analyser)
}

/// Columns as (name, KQL type or "").
pub type Columns = Vec<(String, String)>;

/// Inside a join's `on` clause: the columns of its left side and of its right side (for
/// `$left.` / `$right.`), each as (name, KQL type or ""). `None` elsewhere.
pub fn join_sides_at(
    root: &SyntaxNode,
    offset: usize,
    schema: &Schema,
) -> Option<(Columns, Columns)> {
    analysed_at(root, offset, schema)?
        .sides_at_cursor
        .map(|(left, right)| (left.list, right.list))
}

fn to_size(offset: usize) -> rowan::TextSize {
    rowan::TextSize::from(u32::try_from(offset).unwrap_or(u32::MAX))
}

fn span_of(range: rowan::TextRange) -> Span {
    Span::new(usize::from(range.start()), usize::from(range.end()))
}

/// A set of columns flowing through a pipeline. `open`: more columns than these may exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Cols {
    list: Vec<(String, String)>,
    open: bool,
}

impl Cols {
    fn open() -> Cols {
        Cols {
            list: Vec::new(),
            open: true,
        }
    }

    fn closed(list: Vec<(String, String)>) -> Cols {
        Cols { list, open: false }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Adds a column, or replaces the type of the one of that name.
    fn set(&mut self, name: &str, kind: &str) {
        if let Some(column) = self.list.iter_mut().find(|(n, _)| n == name) {
            column.1 = kind.to_string();
        } else {
            self.list.push((name.to_string(), kind.to_string()));
        }
    }

    /// Adds a column; when the name is taken, as `name1` (as `join` and `summarize` do).
    fn add_unique(&mut self, name: &str, kind: &str) {
        if !self.has(name) {
            self.set(name, kind);
        } else if !self.has(&format!("{name}1")) {
            self.set(&format!("{name}1"), kind);
        } else {
            self.open = true;
        }
    }
}

/// What a `let` binds.
#[derive(Debug, Clone)]
enum Binding {
    Scalar,
    Table(Cols),
    /// A function: its result's columns when it returns a table.
    Function(Option<Cols>),
}

struct Analyser<'s> {
    schema: &'s Schema,
    scopes: Vec<HashMap<String, Binding>>,
    findings: Vec<Finding>,
    /// The start of the token at the cursor (`columns_at`).
    cursor: Option<usize>,
    at_cursor: Option<Cols>,
    /// The two sides of the join whose `on` clause holds the cursor (`join_sides_at`).
    sides_at_cursor: Option<(Cols, Cols)>,
    /// Inside a join's `on` clause: the two sides.
    join_sides: Option<(Cols, Cols)>,
}

/// Whether `name` is a function of KQL (the language table) or of advanced hunting
/// ([`EXTRA_FUNCTIONS`]): a name outside both is a misspelling, not a function some engine lacks.
pub fn is_known_function(name: &str) -> bool {
    language::function(name).is_some() || EXTRA_FUNCTIONS.contains(&name)
}

/// Every function name [`is_known_function`] knows, for suggestions.
pub fn known_function_names() -> Vec<String> {
    language::functions()
        .iter()
        .map(|f| f.name.clone())
        .chain(EXTRA_FUNCTIONS.iter().map(|s| s.to_string()))
        .collect()
}

/// Functions of advanced hunting that are not in the language table: Defender's own
/// (learn.microsoft.com/defender-xdr/advanced-hunting-*-function) and spellings Kusto accepts.
const EXTRA_FUNCTIONS: &[&str] = &[
    "FileProfile",
    "DeviceFromIP",
    "AssignedIPAddresses",
    "SeenBy",
    "materialize",
    "toscalar",
    "typeof",
    "pack",
    "view",
    "stored_query_result",
    // Documented functions the language table lacks.
    "array_sum",
    // Deprecated spellings Kusto still runs (the functions' pages, "deprecated aliases").
    "makeset",
    "makelist",
    "make_dictionary",
    "argmax",
    "argmin",
    "parsejson",
    "replace",
    "extractall",
    "base64_decodestring",
    "base64_encodestring",
    "make_string",
    "notempty",
    "notnull",
    "anyif",
    "array_iif",
    "pack_dictionary",
    "parseurl",
    "parseurlquery",
    "to_utf8",
];

impl<'s> Analyser<'s> {
    fn new(schema: &'s Schema, cursor: Option<usize>) -> Analyser<'s> {
        Analyser {
            schema,
            scopes: vec![HashMap::new()],
            findings: Vec::new(),
            cursor,
            at_cursor: None,
            sides_at_cursor: None,
            join_sides: None,
        }
    }

    /// Whether findings are wanted (not when only the columns at a cursor are).
    fn reporting(&self) -> bool {
        self.cursor.is_none()
    }

    fn warn(&mut self, range: rowan::TextRange, message: String) {
        self.findings.push(Finding {
            span: span_of(range),
            severity: Severity::Warning,
            message,
        });
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|scope| scope.get(name))
    }

    fn bind(&mut self, name: String, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name, binding);
        }
    }

    fn let_names(&self) -> Vec<String> {
        self.scopes
            .iter()
            .flat_map(|scope| scope.keys().cloned())
            .collect()
    }

    /// Records `cols` as the columns at the cursor when `[start, end)` holds it.
    fn mark(&mut self, start: usize, end: usize, cols: &Cols) {
        if let Some(at) = self.cursor
            && start <= at
            && at < end
        {
            self.at_cursor = Some(cols.clone());
        }
    }

    // ---- statements

    /// The statements under a `QUERY` or `BLOCK` node; returns the last expression statement's
    /// value (its columns when tabular).
    fn statements(&mut self, node: &SyntaxNode) -> Option<Option<Cols>> {
        let mut last = None;
        for statement in node.children() {
            match statement.kind() {
                LET_STMT => self.let_statement(&statement),
                DECLARE_STMT => {
                    for param in statement.descendants().filter(|n| n.kind() == PARAM) {
                        if let Some(name) = first_name(&param) {
                            self.bind(name, Binding::Scalar);
                        }
                    }
                }
                EXPR_STMT => {
                    if let Some(value) = statement.children().next() {
                        last = Some(self.value(&value));
                    }
                }
                _ => {}
            }
        }
        last
    }

    fn let_statement(&mut self, statement: &SyntaxNode) {
        let mut name = None;
        let mut after_assign = false;
        let mut value = None;
        for element in significant(statement).skip(1) {
            match element {
                SyntaxElement::Token(t) if t.kind() == ASSIGN => after_assign = true,
                SyntaxElement::Token(t) if t.kind() == IDENT && !after_assign && name.is_none() => {
                    name = Some(t.text().to_string())
                }
                SyntaxElement::Node(n) if n.kind() == BRACKET_NAME && !after_assign => {
                    name = bracket_text(&n)
                }
                SyntaxElement::Node(n) if after_assign && value.is_none() => value = Some(n),
                _ => {}
            }
        }
        let binding = match value {
            Some(value) if value.kind() == FUNCTION_DEF => self.function(&value),
            Some(value) => match self.value(&value) {
                Some(cols) => Binding::Table(cols),
                None => Binding::Scalar,
            },
            None => Binding::Scalar,
        };
        if let Some(name) = name {
            self.bind(name, binding);
        }
    }

    /// `(params) { body }`: the body is read with the parameters in scope (tabular ones with
    /// their declared columns, open when declared `(*)`).
    fn function(&mut self, def: &SyntaxNode) -> Binding {
        let mut scope = HashMap::new();
        for param in def.descendants().filter(|n| n.kind() == PARAM) {
            let Some(name) = first_name(&param) else {
                continue;
            };
            let schema = param
                .children()
                .find(|n| n.kind() == TYPE_REF)
                .and_then(|t| t.children().find(|n| n.kind() == SCHEMA));
            let binding = match schema {
                Some(schema) => Binding::Table(declared_columns(&schema)),
                None => Binding::Scalar,
            };
            scope.insert(name, binding);
        }
        self.scopes.push(scope);
        let result = def
            .children()
            .find(|n| n.kind() == BLOCK)
            .and_then(|block| self.statements(&block));
        self.scopes.pop();
        Binding::Function(result.flatten())
    }

    /// A statement's or `let`'s value: its columns when tabular, `None` when scalar (checked).
    fn value(&mut self, node: &SyntaxNode) -> Option<Cols> {
        if self.is_tabular(node) {
            Some(self.tabular(node))
        } else {
            self.expr(node, None);
            None
        }
    }

    fn is_tabular(&self, node: &SyntaxNode) -> bool {
        match node.kind() {
            PIPELINE | OPERATOR => true,
            NAME_REF | BRACKET_NAME => {
                let Some(name) = ref_name(node) else {
                    return false;
                };
                match self.lookup(&name) {
                    Some(Binding::Table(_)) => true,
                    Some(_) => false,
                    None => !name.starts_with('$') || super::earlier::is_result_name(&name),
                }
            }
            PAREN_EXPR => node.children().next().is_some_and(|n| self.is_tabular(&n)),
            CALL_EXPR => {
                let name = call_name(node).unwrap_or_default();
                match self.lookup(&name) {
                    Some(Binding::Function(result)) => result.is_some(),
                    Some(_) => false,
                    None => matches!(name.as_str(), "materialize" | "table" | "view"),
                }
            }
            _ => false,
        }
    }

    // ---- tabular expressions

    fn tabular(&mut self, node: &SyntaxNode) -> Cols {
        match node.kind() {
            PIPELINE => self.pipeline(node),
            NAME_REF | BRACKET_NAME => self.table_ref(node),
            PAREN_EXPR => match node.children().next() {
                Some(inner) => self.tabular(&inner),
                None => Cols::open(),
            },
            OPERATOR => {
                let end = usize::from(node.text_range().end());
                let start = usize::from(node.text_range().start());
                self.mark(start, end.max(start + 1), &Cols::default());
                self.operator(node, None)
            }
            CALL_EXPR => {
                let name = call_name(node).unwrap_or_default();
                self.expr(node, None);
                match self.lookup(&name) {
                    Some(Binding::Function(Some(cols))) => cols.clone(),
                    _ if name == "materialize" => call_args(node)
                        .first()
                        .map(|a| self.tabular(a))
                        .unwrap_or_else(Cols::open),
                    _ if name == "table" => {
                        let table = call_args(node)
                            .first()
                            .and_then(|a| a.first_token())
                            .filter(|t| t.kind() == STRING)
                            .map(|t| unquote(t.text()));
                        table
                            .and_then(|t| self.schema.table(&t))
                            .map(|t| Cols::closed(t.columns.clone()))
                            .unwrap_or_else(Cols::open)
                    }
                    _ => Cols::open(),
                }
            }
            _ => Cols::open(),
        }
    }

    fn table_ref(&mut self, node: &SyntaxNode) -> Cols {
        let Some(name) = ref_name(node) else {
            return Cols::open();
        };
        match self.lookup(&name) {
            Some(Binding::Table(cols)) => return cols.clone(),
            Some(_) => return Cols::open(),
            None => {}
        }
        if let Some(table) = self.schema.table(&name) {
            return Cols::closed(table.columns.clone());
        }
        if let Some(number) = super::earlier::result_number(&name) {
            if self.reporting() {
                let message = self.missing_result(&name, number);
                self.warn(node.text_range(), message);
            }
            return Cols::open();
        }
        // Only a backend's own tables make names checkable: kept results alone (a backend that
        // reports no tables) say nothing about the rest.
        let checkable = self
            .schema
            .tables
            .iter()
            .any(|t| !super::earlier::is_result_name(&t.name));
        if checkable && self.reporting() {
            let mut candidates: Vec<String> =
                self.schema.tables.iter().map(|t| t.name.clone()).collect();
            candidates.extend(self.let_names());
            let message = with_suggestion(format!("unknown table '{name}'"), &name, &candidates);
            self.warn(node.text_range(), message);
        }
        Cols::open()
    }

    /// Why an earlier-result name (`$3`) is not in the schema: the schema holds the kept
    /// results as `$1` … `$N` (the console adds them as results arrive), so N is how many
    /// there are.
    fn missing_result(&self, name: &str, number: usize) -> String {
        let kept = self
            .schema
            .tables
            .iter()
            .filter(|t| t.name != super::earlier::LAST && super::earlier::is_result_name(&t.name))
            .count();
        let which = super::earlier::describe(number);
        match (number, kept) {
            (0, _) => format!("'{name}' names no result: the newest is $last (or $1), then $2 …"),
            (_, 0) => format!(
                "'{name}' names {which}, and there is none here (the console keeps its last results; hunt run reads saved ones with --input FILE.json)"
            ),
            (_, 1) => format!("'{name}' names {which}, but there is only 1"),
            (_, kept) => format!("'{name}' names {which}, but there are only {kept}"),
        }
    }

    fn pipeline(&mut self, node: &SyntaxNode) -> Cols {
        // A subquery inside a join's `on` clause has its own names.
        let sides = self.join_sides.take();
        let cols = self.pipeline_columns(node);
        self.join_sides = sides;
        cols
    }

    fn pipeline_columns(&mut self, node: &SyntaxNode) -> Cols {
        let mut elements = significant(node).peekable();
        let mut cols = match elements.next() {
            Some(SyntaxElement::Node(source)) => self.tabular(&source),
            _ => Cols::open(),
        };
        let mut pipe_start = None;
        for element in elements {
            match element {
                SyntaxElement::Token(t) if t.kind() == PIPE => {
                    pipe_start = Some(usize::from(t.text_range().start()));
                }
                SyntaxElement::Node(op) if op.kind() == OPERATOR => {
                    let range = op.text_range();
                    let start = pipe_start.unwrap_or(usize::from(range.start()));
                    let end = usize::from(range.end()).max(start + 1);
                    self.mark(start, end, &cols);
                    cols = self.operator(&op, Some(cols));
                    pipe_start = None;
                }
                _ => {}
            }
        }
        cols
    }

    // ---- operators

    /// The columns out of one operator, given the columns in (`None` for a pipeline's source).
    fn operator(&mut self, op: &SyntaxNode, input: Option<Cols>) -> Cols {
        let name = op
            .children()
            .find(|n| n.kind() == OPERATOR_NAME)
            .map(|n| n.text().to_string())
            .unwrap_or_default();
        let has_input = input.is_some();
        let mut cols = input.unwrap_or_default();
        let args: Vec<SyntaxElement> = significant(op)
            .filter(|e| !matches!(e.kind(), OPERATOR_NAME | OPERATOR_PARAM))
            .collect();
        let nodes: Vec<SyntaxNode> = args.iter().filter_map(|e| e.as_node().cloned()).collect();
        match name.as_str() {
            "where" | "filter" | "take" | "limit" | "sample" | "sort" | "order" | "top" => {
                for node in &nodes {
                    self.expr(node, Some(&cols));
                }
                cols
            }
            "as" | "consume" | "render" => cols,
            "extend" | "serialize" => {
                for node in nodes.iter().filter(|n| n.kind() == NAMED_EXPR) {
                    let input = cols.clone();
                    self.named(node, &input, &mut cols, Naming::Plain);
                }
                cols
            }
            "project" => {
                let mut out = Cols::default();
                let mut scope = cols.clone();
                for node in nodes.iter().filter(|n| n.kind() == NAMED_EXPR) {
                    if node.children().any(|n| n.kind() == STAR_EXPR) {
                        out = cols.clone();
                        continue;
                    }
                    let before = out.list.len();
                    self.named(node, &scope, &mut out, Naming::Plain);
                    for (n, t) in &out.list[before..] {
                        scope.set(n, t);
                    }
                }
                out.open |= cols.open && out.list.is_empty();
                out
            }
            "print" => {
                let mut out = Cols::default();
                for (at, node) in nodes.iter().filter(|n| n.kind() == NAMED_EXPR).enumerate() {
                    let scope = out.clone();
                    self.named(node, &scope, &mut out, Naming::Print(at));
                }
                out
            }
            "distinct" => {
                if nodes
                    .iter()
                    .any(|n| n.descendants().any(|d| d.kind() == STAR_EXPR))
                {
                    return cols;
                }
                let mut out = Cols::default();
                for node in nodes.iter().filter(|n| n.kind() == NAMED_EXPR) {
                    self.named(node, &cols, &mut out, Naming::Plain);
                }
                out
            }
            "project-away" | "project-keep" | "project-reorder" => {
                self.patterns(&name, &args, cols)
            }
            "project-rename" => {
                for node in nodes.iter().filter(|n| n.kind() == NAMED_EXPR) {
                    let (targets, value) = named_parts(node);
                    if let (Some(new), Some(old)) = (targets.first(), value) {
                        self.expr(&old, Some(&cols));
                        let old_name = ref_name(&old).unwrap_or_default();
                        // Renamed in place; a column already called `new` is replaced.
                        if cols.has(&old_name) {
                            cols.list.retain(|(n, _)| n != new || *n == old_name);
                            if let Some(column) = cols.list.iter_mut().find(|(n, _)| *n == old_name)
                            {
                                column.0 = new.clone();
                            }
                        } else {
                            cols.set(new, "");
                        }
                    }
                }
                cols
            }
            "summarize" => self.summarize(&nodes, &cols),
            "count" => Cols::closed(vec![("Count".into(), "long".into())]),
            "getschema" => Cols::closed(
                [
                    ("ColumnName", "string"),
                    ("ColumnOrdinal", "int"),
                    ("DataType", "string"),
                    ("ColumnType", "string"),
                ]
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
            ),
            "join" | "lookup" => self.join(op, &name, &nodes, cols),
            "union" => self.union(op, &nodes, has_input.then_some(cols)),
            "mv-expand" | "mvexpand" => {
                let input = cols.clone();
                for node in nodes.iter().filter(|n| n.kind() == NAMED_EXPR) {
                    self.expand_item(node, &input, &mut cols);
                }
                if let Some(index) = param(op, "with_itemindex") {
                    cols.set(&index, "long");
                }
                cols
            }
            "parse" | "parse-where" => {
                if let Some(source) = nodes.first() {
                    self.expr(source, Some(&cols));
                }
                for decl in op
                    .descendants()
                    .filter(|n| n.kind() == COLUMN_DECL && has_ancestor(n, PARSE_PATTERN))
                {
                    if let Some(name) = first_name(&decl) {
                        let kind = type_name(&decl).unwrap_or_else(|| "string".into());
                        cols.set(&name, &kind);
                    }
                }
                cols
            }
            "parse-kv" => {
                if let Some(source) = nodes.first() {
                    self.expr(source, Some(&cols));
                }
                for decl in op.descendants().filter(|n| n.kind() == COLUMN_DECL) {
                    if let Some(name) = first_name(&decl) {
                        let kind = type_name(&decl).unwrap_or_default();
                        cols.set(&name, &kind);
                    }
                }
                cols
            }
            "make-series" => self.make_series(&nodes, &cols),
            "range" => {
                let column = args
                    .iter()
                    .find_map(|e| match e {
                        SyntaxElement::Token(t) if t.kind() == IDENT => Some(t.text().to_string()),
                        SyntaxElement::Node(n) if n.kind() == BRACKET_NAME => bracket_text(n),
                        _ => None,
                    })
                    .unwrap_or_default();
                let mut kind = String::new();
                for clause in nodes.iter().filter(|n| n.kind() == CLAUSE) {
                    for value in clause.children() {
                        self.expr(&value, None);
                        if kind.is_empty() && clause_word(clause).as_deref() == Some("from") {
                            kind = self.expr_type(&value, &Cols::default());
                        }
                    }
                }
                if kind.is_empty() {
                    kind = "long".into();
                }
                Cols::closed(vec![(column, kind)])
            }
            "datatable" | "externaldata" | "external_data" => {
                for list in nodes.iter().filter(|n| n.kind() == ARG_LIST) {
                    self.expr(list, None);
                }
                nodes
                    .iter()
                    .find(|n| n.kind() == SCHEMA)
                    .map(declared_columns)
                    .unwrap_or_else(Cols::open)
            }
            "evaluate" | "invoke" => {
                // Plugins and invoked functions make columns of their own: open. Unknown
                // function names are still reported.
                for call in op.descendants().filter(|n| n.kind() == CALL_EXPR) {
                    self.check_function(&call);
                }
                if let Some(schema) = nodes.iter().find(|n| n.kind() == SCHEMA) {
                    return declared_columns(schema);
                }
                Cols::open()
            }
            // reduce-operator.md: a table of patterns, or the input with its Pattern column.
            "reduce" => {
                for clause in nodes.iter().filter(|n| n.kind() == CLAUSE) {
                    if clause_word(clause).as_deref() == Some("by") {
                        for value in clause.children() {
                            self.expr(&value, Some(&cols));
                        }
                    }
                }
                if param(op, "kind").as_deref() == Some("source") {
                    cols.set("Pattern", "string");
                    cols
                } else {
                    Cols::closed(
                        [
                            ("Pattern", "string"),
                            ("Count", "long"),
                            ("Representative", "string"),
                        ]
                        .iter()
                        .map(|(n, t)| (n.to_string(), t.to_string()))
                        .collect(),
                    )
                }
            }
            "graph-match" | "graph-shortest-paths" => graph_projection(&nodes),
            // Operators whose output the analysis does not compute: open, unchecked.
            _ => Cols::open(),
        }
    }

    /// One item of `project`/`extend`/`summarize`/`distinct`/`print`: checks the value against
    /// `scope` and adds the result column(s) to `out`.
    fn named(&mut self, node: &SyntaxNode, scope: &Cols, out: &mut Cols, naming: Naming) {
        let (targets, value) = named_parts(node);
        let Some(value) = value else {
            out.open = true;
            return;
        };
        self.expr(&value, Some(scope));
        if !targets.is_empty() && matches!(naming, Naming::Aggregate) && is_arg_aggregate(&value) {
            // `A = arg_max(T, B, C)` names the first column; the others keep their names
            // (suffixed `1` where taken): summarize-operator, arg_max-aggregation-function.
            match aggregate_columns(&value, scope) {
                Some(columns) => {
                    for (at, (name, kind)) in columns.into_iter().enumerate() {
                        match targets.get(at) {
                            Some(target) => out.set(target, &kind),
                            None => out.add_unique(&name, &kind),
                        }
                    }
                }
                None => out.open = true,
            }
            return;
        }
        if !targets.is_empty() {
            let kind = if targets.len() == 1 {
                self.expr_type(&value, scope)
            } else {
                String::new()
            };
            for target in &targets {
                out.set(target, &kind);
            }
            return;
        }
        let kind = self.expr_type(&value, scope);
        match naming {
            Naming::Plain => match default_name(&value) {
                Some(name) => out.set(&name, &kind),
                None => out.open = true,
            },
            // print-operator: unnamed values are `print_0`, `print_1` … by position.
            // Some functions name their own results (`array_sort_asc` → `array1_sorted`): a
            // call leaves the set open.
            Naming::Print(at) => {
                out.set(&format!("print_{at}"), &kind);
                out.open |= value.kind() == CALL_EXPR;
            }
            Naming::Aggregate => match aggregate_columns(&value, scope) {
                Some(columns) => {
                    // `arg_max(T, *)`'s columns merge with the by-clause's.
                    let star = is_arg_aggregate(&value)
                        && call_args(&value).iter().any(|a| a.kind() == STAR_EXPR);
                    for (at, (name, kind)) in columns.into_iter().enumerate() {
                        if star && at > 0 {
                            if !out.has(&name) {
                                out.set(&name, &kind);
                            }
                        } else {
                            out.add_unique(&name, &kind);
                        }
                    }
                }
                None => out.open = true,
            },
        }
    }

    fn summarize(&mut self, nodes: &[SyntaxNode], input: &Cols) -> Cols {
        let mut out = Cols::default();
        // The by-clause's columns come first.
        for clause in nodes.iter().filter(|n| n.kind() == CLAUSE) {
            for item in clause.children().filter(|n| n.kind() == NAMED_EXPR) {
                self.named(&item, input, &mut out, Naming::Plain);
            }
        }
        for item in nodes.iter().filter(|n| n.kind() == NAMED_EXPR) {
            self.named(item, input, &mut out, Naming::Aggregate);
        }
        out.open |= input.open;
        out
    }

    fn make_series(&mut self, nodes: &[SyntaxNode], input: &Cols) -> Cols {
        let mut out = Cols::default();
        // The by-clause's columns, the series, then the axis (make-series-operator).
        let mut axis = None;
        for clause in nodes.iter().filter(|n| n.kind() == CLAUSE) {
            let word = clause_word(clause).unwrap_or_default();
            for item in clause.children() {
                match (word.as_str(), item.kind()) {
                    ("by", NAMED_EXPR) => self.named(&item, input, &mut out, Naming::Plain),
                    ("on", _) => {
                        self.expr(&item, Some(input));
                        axis = Some(default_name(&item));
                    }
                    _ => self.expr(&item, Some(input)),
                }
            }
        }
        for item in nodes.iter().filter(|n| n.kind() == NAMED_EXPR) {
            let mut series = Cols::default();
            self.named(item, input, &mut series, Naming::Aggregate);
            out.open |= series.open;
            for (name, _) in series.list {
                out.set(&name, "dynamic");
            }
        }
        match axis {
            Some(Some(axis)) => out.set(&axis, "dynamic"),
            _ => out.open = true,
        }
        out.open |= input.open;
        out
    }

    /// `project-away`, `project-keep`, `project-reorder`: names and wildcard patterns.
    fn patterns(&mut self, operator: &str, args: &[SyntaxElement], cols: Cols) -> Cols {
        let mut keep: Vec<bool> = vec![false; cols.list.len()];
        // `project-reorder`: the listed columns first, in the order given.
        let mut order: Vec<usize> = Vec::new();
        let mut pending_pattern = String::new();
        let mut expect_name = true;
        for element in args {
            if element.kind() == COMMA {
                expect_name = true;
                continue;
            }
            if !expect_name {
                // `asc`/`desc` after a pattern: its matches sorted by name.
                if let SyntaxElement::Token(t) = element
                    && !order.is_empty()
                {
                    let run = order
                        .iter()
                        .rposition(|&i| !wildcard_match(&pending_pattern, &cols.list[i].0))
                        .map_or(0, |i| i + 1);
                    let slice = &mut order[run..];
                    slice.sort_by(|&a, &b| cols.list[a].0.cmp(&cols.list[b].0));
                    if t.text() == "desc" {
                        slice.reverse();
                    }
                }
                continue;
            }
            expect_name = false;
            let (pattern, range) = match element {
                SyntaxElement::Token(t) if t.kind() == IDENT => {
                    (t.text().to_string(), t.text_range())
                }
                SyntaxElement::Node(n) if n.kind() == BRACKET_NAME => {
                    (bracket_text(n).unwrap_or_default(), n.text_range())
                }
                SyntaxElement::Node(n) if n.kind() == NAME_PATTERN => {
                    (n.text().to_string(), n.text_range())
                }
                _ => continue,
            };
            let mut matched = false;
            for (at, (name, _)) in cols.list.iter().enumerate() {
                if wildcard_match(&pattern, name) {
                    keep[at] = true;
                    matched = true;
                    if !order.contains(&at) {
                        order.push(at);
                    }
                }
            }
            pending_pattern = pattern.clone();
            if !matched && !pattern.contains('*') && !cols.open && self.reporting() {
                let names: Vec<String> = cols.list.iter().map(|(n, _)| n.clone()).collect();
                let message =
                    with_suggestion(format!("unknown column '{pattern}'"), &pattern, &names);
                self.warn(range, message);
            }
        }
        match operator {
            "project-away" => Cols {
                list: cols
                    .list
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| !**k)
                    .map(|(c, _)| c.clone())
                    .collect(),
                open: cols.open,
            },
            "project-keep" => Cols {
                list: cols
                    .list
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(c, _)| c.clone())
                    .collect(),
                open: cols.open,
            },
            _ => {
                let mut list: Vec<(String, String)> =
                    order.iter().map(|&i| cols.list[i].clone()).collect();
                for (at, column) in cols.list.iter().enumerate() {
                    if !order.contains(&at) {
                        list.push(column.clone());
                    }
                }
                Cols {
                    list,
                    open: cols.open,
                }
            }
        }
    }

    fn join(&mut self, op: &SyntaxNode, operator: &str, nodes: &[SyntaxNode], left: Cols) -> Cols {
        let right_node = nodes.iter().find(|n| n.kind() != CLAUSE);
        let right = match right_node {
            Some(node) => self.tabular(node),
            None => Cols::open(),
        };
        let mut keys = Vec::new();
        for clause in nodes.iter().filter(|n| n.kind() == CLAUSE) {
            let range = clause.text_range();
            let both = Cols {
                list: left
                    .list
                    .iter()
                    .chain(right.list.iter().filter(|(n, _)| !left.has(n)))
                    .cloned()
                    .collect(),
                open: left.open || right.open,
            };
            self.mark(
                usize::from(range.start()),
                usize::from(range.end()).max(usize::from(range.start()) + 1),
                &both,
            );
            if clause_word(clause).as_deref() == Some("on") {
                if let Some(at) = self.cursor
                    && usize::from(range.start()) <= at
                    && at < usize::from(range.end()).max(usize::from(range.start()) + 1)
                {
                    self.sides_at_cursor = Some((left.clone(), right.clone()));
                }
                let saved = self.join_sides.replace((left.clone(), right.clone()));
                for key in clause.children() {
                    self.expr(&key, Some(&both));
                    match key.kind() {
                        NAME_REF | BRACKET_NAME => keys.extend(ref_name(&key)),
                        _ => {}
                    }
                }
                self.join_sides = saved;
            } else {
                for key in clause.children() {
                    self.expr(&key, Some(&both));
                }
            }
        }
        let kind = param(op, "kind").unwrap_or_default().to_lowercase();
        match kind.as_str() {
            "leftsemi" | "leftanti" | "leftantisemi" | "anti" => return left,
            "rightsemi" | "rightanti" | "rightantisemi" => return right,
            _ => {}
        }
        let mut out = left.clone();
        out.open |= right.open;
        for (name, kind) in &right.list {
            if operator == "lookup" && keys.contains(name) {
                continue;
            }
            if left.has(name) {
                let renamed = format!("{name}1");
                if out.has(&renamed) {
                    out.open = true;
                } else {
                    out.set(&renamed, kind);
                }
            } else {
                out.set(name, kind);
            }
        }
        out
    }

    fn union(&mut self, op: &SyntaxNode, nodes: &[SyntaxNode], input: Option<Cols>) -> Cols {
        let fuzzy = param(op, "isfuzzy").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let mut parts: Vec<Cols> = input.into_iter().collect();
        for node in nodes {
            if node.kind() == NAME_PATTERN || fuzzy {
                parts.push(Cols::open());
                continue;
            }
            parts.push(self.tabular(node));
        }
        let mut out = Cols::default();
        for part in parts {
            out.open |= part.open;
            for (name, kind) in part.list {
                match out.get(&name) {
                    // Same name, other type: Kusto suffixes the type (`X_string`).
                    Some(existing)
                        if existing != kind && !existing.is_empty() && !kind.is_empty() =>
                    {
                        out.open = true
                    }
                    Some(_) => {}
                    None => out.set(&name, &kind),
                }
            }
        }
        if let Some(source) = param(op, "withsource") {
            out.set(&source, "string");
        }
        out
    }

    fn expand_item(&mut self, node: &SyntaxNode, input: &Cols, cols: &mut Cols) {
        let (targets, value) = named_parts(node);
        let Some(value) = value else {
            cols.open = true;
            return;
        };
        self.expr(&value, Some(input));
        let kind = node
            .children()
            .find(|n| n.kind() == CLAUSE)
            .and_then(|clause| clause.descendants().find(|n| n.kind() == ARG_LIST))
            .map(|args| args.text().to_string())
            .map(|t| {
                t.trim_matches(|c| c == '(' || c == ')' || c == ' ')
                    .to_string()
            })
            .unwrap_or_else(|| "dynamic".into());
        match targets.first().cloned().or_else(|| default_name(&value)) {
            Some(name) => cols.set(&name, &kind),
            None => cols.open = true,
        }
    }

    // ---- scalar expressions

    /// Checks the names in a scalar expression against `row` (the columns in scope; `None`
    /// where there is no row, as in a `let` value). Tabular subqueries inside are analysed.
    fn expr(&mut self, node: &SyntaxNode, row: Option<&Cols>) {
        match node.kind() {
            NAME_REF | BRACKET_NAME => self.column_ref(node, row),
            MEMBER_EXPR => {
                let mut children = node.children();
                let Some(first) = children.next() else {
                    return;
                };
                let side = ref_name(&first).filter(|n| n == "$left" || n == "$right");
                if let Some(side) = side {
                    let sides = self.join_sides.clone();
                    if let (Some((left, right)), Some(member)) = (sides, children.next()) {
                        let cols = if side == "$left" { left } else { right };
                        self.column_in(&member, &cols);
                    }
                    return;
                }
                self.expr(&first, row);
                // The member after `.` is a property, not a column; a call there (`.table(…)`)
                // is checked as a function.
                for rest in children.filter(|n| n.kind() == CALL_EXPR) {
                    self.check_function(&rest);
                }
            }
            CALL_EXPR => {
                self.check_function(node);
                let name = call_name(node).unwrap_or_default();
                if name == "typeof" {
                    return;
                }
                for arg in call_args(node) {
                    if self.is_tabular_arg(&arg) {
                        self.tabular(&arg);
                    } else {
                        self.expr(&arg, row);
                    }
                }
            }
            NAMED_ARG => {
                for child in node.children() {
                    self.expr(&child, row);
                }
            }
            PIPELINE | OPERATOR => {
                self.tabular(node);
            }
            PAREN_EXPR => {
                for child in node.children() {
                    self.expr(&child, row);
                }
            }
            IN_EXPR => {
                for child in node.children() {
                    if child.kind() == ARG_LIST {
                        for item in child.children() {
                            if self.is_tabular_arg(&item) {
                                self.tabular(&item);
                            } else {
                                self.expr(&item, row);
                            }
                        }
                    } else {
                        self.expr(&child, row);
                    }
                }
            }
            // Text that could not be read, literals, `*`: nothing to check.
            ERROR | LITERAL | TYPED_LITERAL | STAR_EXPR | NAME_PATTERN | TYPE_REF => {}
            _ => {
                for child in node.children() {
                    self.expr(&child, row);
                }
            }
        }
    }

    /// A subquery in a call's or `in`'s arguments: a pipeline, or a name of a table.
    fn is_tabular_arg(&self, node: &SyntaxNode) -> bool {
        match node.kind() {
            PIPELINE => true,
            PAREN_EXPR => node
                .children()
                .next()
                .is_some_and(|n| self.is_tabular_arg(&n)),
            NAME_REF | BRACKET_NAME => ref_name(node)
                .is_some_and(|name| matches!(self.lookup(&name), Some(Binding::Table(_)))),
            _ => false,
        }
    }

    fn column_ref(&mut self, node: &SyntaxNode, row: Option<&Cols>) {
        let Some(name) = ref_name(node) else {
            return;
        };
        if let Some((left, right)) = self.join_sides.clone() {
            // A bare key of `on`: a column of both sides.
            self.column_in(node, &left);
            self.column_in(node, &right);
            return;
        }
        let Some(row) = row else {
            return;
        };
        if row.has(&name)
            || self.lookup(&name).is_some()
            || is_reserved(&name)
            || self.schema.table(&name).is_some()
        {
            return;
        }
        self.unknown_column(node, &name, row);
    }

    /// Checks that the name at `node` is a column of `cols` (unless open).
    fn column_in(&mut self, node: &SyntaxNode, cols: &Cols) {
        let Some(name) = ref_name(node) else {
            return;
        };
        if cols.has(&name) || self.lookup(&name).is_some() {
            return;
        }
        self.unknown_column(node, &name, cols);
    }

    fn unknown_column(&mut self, node: &SyntaxNode, name: &str, cols: &Cols) {
        if cols.open || !self.reporting() {
            return;
        }
        let names: Vec<String> = cols.list.iter().map(|(n, _)| n.clone()).collect();
        let message = with_suggestion(format!("unknown column '{name}'"), name, &names);
        self.warn(node.text_range(), message);
    }

    fn check_function(&mut self, call: &SyntaxNode) {
        // (`is_known_function` says the same for callers outside the analysis.)
        let Some(token) = call.first_token().filter(|t| t.kind() == IDENT) else {
            return;
        };
        let name = token.text();
        if !self.reporting()
            || language::function(name).is_some()
            || self.lookup(name).is_some()
            || EXTRA_FUNCTIONS.contains(&name)
        {
            return;
        }
        let mut candidates: Vec<String> = language::functions()
            .iter()
            .map(|f| f.name.clone())
            .collect();
        candidates.extend(self.let_names());
        candidates.extend(EXTRA_FUNCTIONS.iter().map(|s| s.to_string()));
        let message = with_suggestion(format!("unknown function '{name}'"), name, &candidates);
        self.warn(token.text_range(), message);
    }

    /// The KQL type of an expression when it is easily known, else `""`.
    fn expr_type(&self, node: &SyntaxNode, row: &Cols) -> String {
        match node.kind() {
            NAME_REF | BRACKET_NAME => ref_name(node)
                .and_then(|n| row.get(&n).map(str::to_string))
                .unwrap_or_default(),
            LITERAL => match node.first_token().map(|t| (t.kind(), t.text().to_string())) {
                Some((STRING, _)) => "string".into(),
                Some((INT, _)) => "long".into(),
                Some((REAL, _)) => "real".into(),
                Some((TIMESPAN, _)) => "timespan".into(),
                Some((IDENT, _)) => "bool".into(),
                _ => String::new(),
            },
            TYPED_LITERAL => {
                let word = node
                    .first_token()
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                crate::results::KqlType::from_kql_name(&word)
                    .map(|t| t.kql_name().to_string())
                    .unwrap_or_default()
            }
            PAREN_EXPR => node
                .children()
                .next()
                .map(|n| self.expr_type(&n, row))
                .unwrap_or_default(),
            IN_EXPR | BETWEEN_EXPR => "bool".into(),
            MEMBER_EXPR | INDEX_EXPR => "dynamic".into(),
            BIN_EXPR => {
                let operator = significant(node)
                    .find_map(|e| {
                        e.into_token()
                            .filter(|t| t.kind() != IDENT || is_word_operator(t))
                    })
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                match operator.as_str() {
                    "+" | "-" | "*" | "/" | "%" => {
                        let first = node
                            .children()
                            .next()
                            .map(|n| self.expr_type(&n, row))
                            .unwrap_or_default();
                        let second = node
                            .children()
                            .nth(1)
                            .map(|n| self.expr_type(&n, row))
                            .unwrap_or_default();
                        if operator == "-" && first == "datetime" && second == "datetime" {
                            "timespan".into()
                        } else {
                            first
                        }
                    }
                    _ => "bool".into(),
                }
            }
            CALL_EXPR => {
                let name = call_name(node).unwrap_or_default();
                let first = || {
                    call_args(node)
                        .first()
                        .map(|a| self.expr_type(a, row))
                        .unwrap_or_default()
                };
                match name.as_str() {
                    "tostring"
                    | "tolower"
                    | "toupper"
                    | "strcat"
                    | "extract"
                    | "substring"
                    | "replace_string"
                    | "replace_regex"
                    | "trim"
                    | "format_datetime"
                    | "strcat_delim"
                    | "tohex"
                    | "url_decode"
                    | "base64_decode_tostring" => "string".into(),
                    "toint" => "int".into(),
                    "tolong" | "strlen" | "countof" | "array_length" | "hash" => "long".into(),
                    "todouble" | "toreal" => "real".into(),
                    "tobool" | "isempty" | "isnotempty" | "isnull" | "isnotnull" | "not" => {
                        "bool".into()
                    }
                    "todatetime" | "ago" | "now" | "datetime_add" | "startofday"
                    | "startofweek" | "startofmonth" | "endofday" => "datetime".into(),
                    "totimespan" => "timespan".into(),
                    "todynamic" | "parse_json" | "split" | "extract_all" | "pack_array"
                    | "bag_pack" | "pack" | "parse_url" | "parse_path" | "parse_command_line"
                    | "array_concat" | "set_union" | "set_difference" => "dynamic".into(),
                    "bin" | "floor" | "bin_at" | "min_of" | "max_of" | "coalesce" => first(),
                    "iff" | "iif" => call_args(node)
                        .get(1)
                        .map(|a| self.expr_type(a, row))
                        .unwrap_or_default(),
                    _ => String::new(),
                }
            }
            _ => String::new(),
        }
    }
}

/// How an unnamed item gets its column name.
#[derive(Debug, Clone, Copy)]
enum Naming {
    /// `project`, `extend`, `distinct`, `by`: a bare column keeps its name.
    Plain,
    /// `print`: `print_0`, `print_1` … for unnamed values.
    Print(usize),
    /// `summarize`, `make-series`: the aggregate's default name.
    Aggregate,
}

fn is_word_operator(token: &SyntaxToken) -> bool {
    matches!(token.text(), "and" | "or")
}

/// The non-trivia children (nodes and tokens) of a node.
fn significant(node: &SyntaxNode) -> impl Iterator<Item = SyntaxElement> {
    node.children_with_tokens()
        .filter(|e| !e.kind().is_trivia())
}

fn has_ancestor(node: &SyntaxNode, kind: SyntaxKind) -> bool {
    node.ancestors().any(|a| a.kind() == kind)
}

/// Strips quotes (and a leading `@`, `h`, `H`) from a string literal's text.
fn unquote(text: &str) -> String {
    let text = text.trim_start_matches(['@', 'h', 'H']);
    if text.len() >= 6 && text.starts_with("```") && text.ends_with("```") {
        return text[3..text.len() - 3].to_string();
    }
    let mut chars = text.chars();
    match (chars.next(), chars.next_back()) {
        (Some(a), Some(b)) if (a == '\'' || a == '"') && a == b => chars.as_str().to_string(),
        _ => text.to_string(),
    }
}

/// The name inside `['name']`.
fn bracket_text(node: &SyntaxNode) -> Option<String> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == STRING)
        .map(|t| unquote(t.text()))
}

/// The name a `NAME_REF` or `BRACKET_NAME` stands for.
fn ref_name(node: &SyntaxNode) -> Option<String> {
    match node.kind() {
        NAME_REF => node
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == IDENT)
            .map(|t| t.text().to_string()),
        BRACKET_NAME => bracket_text(node),
        _ => None,
    }
}

/// The first name (an `IDENT` token or a `BRACKET_NAME`) directly under a node: a parameter's
/// or a column declaration's name.
fn first_name(node: &SyntaxNode) -> Option<String> {
    significant(node).find_map(|e| match e {
        SyntaxElement::Token(t) if t.kind() == IDENT => Some(t.text().to_string()),
        SyntaxElement::Node(n) if n.kind() == BRACKET_NAME => bracket_text(&n),
        _ => None,
    })
}

/// The type written in a node's `TYPE_REF` child (`long` of `Name: long`).
fn type_name(node: &SyntaxNode) -> Option<String> {
    node.children()
        .find(|n| n.kind() == TYPE_REF)
        .map(|t| t.text().to_string().trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The columns of a `SCHEMA` node; open when it has `*`.
fn declared_columns(schema: &SyntaxNode) -> Cols {
    let mut cols = Cols::default();
    for element in significant(schema) {
        match element {
            SyntaxElement::Token(t) if t.kind() == STAR => cols.open = true,
            SyntaxElement::Node(n) if n.kind() == COLUMN_DECL => {
                if let Some(name) = first_name(&n) {
                    let kind = type_name(&n).unwrap_or_default();
                    cols.set(&name, &kind);
                }
            }
            _ => {}
        }
    }
    cols
}

/// The word that starts a `CLAUSE` (`by`, `on`, `with` …).
fn clause_word(clause: &SyntaxNode) -> Option<String> {
    significant(clause)
        .next()
        .and_then(|e| e.into_token())
        .map(|t| t.text().to_string())
}

/// A `CALL_EXPR`'s function name.
fn call_name(call: &SyntaxNode) -> Option<String> {
    call.first_token()
        .filter(|t| t.kind() == IDENT)
        .map(|t| t.text().to_string())
}

/// A call's positional arguments (named arguments left out).
fn call_args(call: &SyntaxNode) -> Vec<SyntaxNode> {
    call.children()
        .find(|n| n.kind() == ARG_LIST)
        .map(|list| list.children().filter(|n| n.kind() != NAMED_ARG).collect())
        .unwrap_or_default()
}

/// The value of an operator's `Name=Value` parameter (`kind=inner` → `inner`).
fn param(op: &SyntaxNode, name: &str) -> Option<String> {
    op.children()
        .filter(|n| n.kind() == OPERATOR_PARAM)
        .find(|p| p.first_token().is_some_and(|t| t.text() == name))
        .and_then(|p| p.children().next())
        .map(|value| match value.first_token() {
            Some(t) if t.kind() == STRING => unquote(t.text()),
            _ => value.text().to_string().trim().to_string(),
        })
}

/// A `NAMED_EXPR`'s assigned names (`A = …`, `(A, B) = …`; none for a bare expression) and its
/// value.
fn named_parts(node: &SyntaxNode) -> (Vec<String>, Option<SyntaxNode>) {
    let has_assign = node.children_with_tokens().any(|e| e.kind() == ASSIGN);
    let mut targets = Vec::new();
    let mut value = None;
    let mut after = !has_assign;
    for element in significant(node) {
        match element {
            SyntaxElement::Token(t) if t.kind() == ASSIGN => after = true,
            SyntaxElement::Token(t) if !after && t.kind() == IDENT => {
                targets.push(t.text().to_string())
            }
            SyntaxElement::Node(n) if !after && n.kind() == BRACKET_NAME => {
                targets.extend(bracket_text(&n))
            }
            SyntaxElement::Node(n) if after && value.is_none() && n.kind() != CLAUSE => {
                value = Some(n)
            }
            _ => {}
        }
    }
    (targets, value)
}

/// The columns of `graph-match`'s and `graph-shortest-paths`'s `project` (graph-match-operator.md):
/// each item's name, or a property's `variable_property` (any-graph-function.md's example
/// projects `src.LocationName` as `src_LocationName`); open when an item's name is not sure. The
/// expressions read the pattern's variables, which the analysis does not follow: unchecked.
fn graph_projection(nodes: &[SyntaxNode]) -> Cols {
    let Some(project) = nodes
        .iter()
        .find(|n| n.kind() == CLAUSE && clause_word(n).as_deref() == Some("project"))
    else {
        return Cols::open();
    };
    let mut out = Cols::default();
    for item in project.children().filter(|n| n.kind() == NAMED_EXPR) {
        let (targets, value) = named_parts(&item);
        let name = targets.first().cloned().or_else(|| {
            let value = value?;
            let text = value.text().to_string();
            let path = value.kind() == MEMBER_EXPR
                && text.split('.').count() == 2
                && text.split('.').all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                });
            path.then(|| text.replace('.', "_"))
        });
        match name {
            Some(name) => out.set(&name, ""),
            None => out.open = true,
        }
    }
    out
}

/// The column name KQL gives an unnamed expression when it can be told for sure: a column
/// keeps its name, and `bin(X, …)`/`floor(X, …)`/`bin_at(X, …)` take X's (summarize-operator,
/// "by" column names). `None` otherwise (the caller opens the column set).
fn default_name(node: &SyntaxNode) -> Option<String> {
    match node.kind() {
        NAME_REF | BRACKET_NAME => ref_name(node).filter(|n| !n.starts_with('$')),
        CALL_EXPR => {
            let name = call_name(node)?;
            if matches!(name.as_str(), "bin" | "floor" | "bin_at") {
                default_name(call_args(node).first()?)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The columns an unnamed aggregate makes (summarize-operator, "Default column names"):
/// `count()` → `count_`, `countif(p)` → `countif_`, `sum(X)` → `sum_X` (likewise `dcount`,
/// `avg`, `min`, `max`, `sumif`, `dcountif`, `avgif`, `stdev`, `variance`), `make_set(X)` →
/// `set_X`, `make_list(X)` → `list_X`, `arg_max(T, A, B)` → `T, A, B`, `arg_max(T, *)` → `T`
/// and every column. `None` when not sure.
fn aggregate_columns(node: &SyntaxNode, input: &Cols) -> Option<Vec<(String, String)>> {
    if node.kind() != CALL_EXPR {
        return None;
    }
    let name = call_name(node)?;
    let args = call_args(node);
    let first = || args.first().and_then(default_name);
    let type_of = |column: &str| input.get(column).unwrap_or("").to_string();
    let one = |column: String, kind: String| Some(vec![(column, kind)]);
    match name.as_str() {
        "count" if args.is_empty() => one("count_".into(), "long".into()),
        "countif" => one("countif_".into(), "long".into()),
        "dcount" | "dcountif" => one(format!("{name}_{}", first()?), "long".into()),
        "sum" | "sumif" | "min" | "max" | "minif" | "maxif" => {
            let column = first()?;
            let kind = type_of(&column);
            one(format!("{name}_{column}"), kind)
        }
        "avg" | "avgif" | "stdev" | "stdevif" | "variance" | "varianceif" => {
            one(format!("{name}_{}", first()?), "real".into())
        }
        "make_set" | "make_set_if" => one(format!("set_{}", first()?), "dynamic".into()),
        "make_list" | "make_list_if" => one(format!("list_{}", first()?), "dynamic".into()),
        "arg_max" | "arg_min" => {
            let key = first()?;
            let mut columns = vec![(key.clone(), type_of(&key))];
            for arg in args.iter().skip(1) {
                if arg.kind() == STAR_EXPR {
                    if input.open {
                        return None;
                    }
                    columns.extend(input.list.iter().filter(|(n, _)| *n != key).cloned());
                } else {
                    let column = default_name(arg)?;
                    let kind = type_of(&column);
                    columns.push((column, kind));
                }
            }
            Some(columns)
        }
        _ => None,
    }
}

fn is_arg_aggregate(node: &SyntaxNode) -> bool {
    node.kind() == CALL_EXPR
        && call_name(node).is_some_and(|n| matches!(n.as_str(), "arg_max" | "arg_min"))
}

/// Whether `name` matches a `project-away` pattern with `*` wildcards.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (at, part) in parts.iter().enumerate() {
        if at == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if at == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(i) => rest = &rest[i + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Words that read as names but are values: `null`, `$left`, `$right`, type names.
fn is_reserved(name: &str) -> bool {
    name.starts_with('$') || language::is_literal_keyword(name) || language::is_type_name(name)
}

/// `message` with `; did you mean 'X'?` when a candidate is a likely intent: the same name in
/// another case, else the nearest by edit distance (at most 2, and less than the name's length).
fn with_suggestion(message: String, name: &str, candidates: &[String]) -> String {
    match suggest(name, candidates) {
        Some(best) => format!("{message}; did you mean '{best}'?"),
        None => message,
    }
}

/// The candidate a misspelled `name` most likely meant: the same name in another case, else the
/// nearest within 2 edits (1 for names of 3 characters or fewer). The planner's messages use it
/// too, so the editor, `hunt check` and a run suggest the same name.
pub fn suggest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    if let Some(same) = candidates
        .iter()
        .find(|c| c.as_str() != name && c.to_lowercase() == lower)
    {
        return Some(same);
    }
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    candidates
        .iter()
        .filter(|c| c.as_str() != name)
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return a.len().abs_diff(b.len());
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests;
