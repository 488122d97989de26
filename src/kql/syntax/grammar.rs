//! Statements and tabular operators. Each operator's shape is from its page under
//! learn.microsoft.com/kusto/query (`join-operator`, `mv-expand-operator` …); the graph operators
//! are in `graph.rs`; operators real hunting queries never use (`macro-expand`,
//! `graph-where-nodes`) are kept whole but read loosely.

use super::SyntaxKind::{self, *};
use super::parser::Parser;
use crate::kql::language;

/// Operators that may start a pipeline (no `|` before them), with what must follow the name for
/// the word to be read as the operator rather than a name.
fn source_operator_follows(word: &str, next: Option<SyntaxKind>, next_word: Option<&str>) -> bool {
    match word {
        "datatable" | "externaldata" | "external_data" => next == Some(L_PAREN),
        "range" => next == Some(IDENT) && next_word == Some("from"),
        "union" | "search" | "find" | "print" | "evaluate" => {
            !matches!(
                next,
                None | Some(
                    PIPE | SEMI
                        | COMMA
                        | R_PAREN
                        | R_BRACKET
                        | DOT
                        | L_BRACKET
                        | EQ_EQ
                        | NOT_EQ
                        | LT
                        | LE
                        | GT
                        | GE
                        | PLUS
                        | MINUS
                        | SLASH
                        | PERCENT
                        | EQ_TILDE
                        | BANG_TILDE
                        | L_PAREN
                )
            ) || (word == "union" && next == Some(L_PAREN))
                // `print ['a b'] = 1`, `print (1 + 2)`: nothing else starts with `print`.
                || (word == "print" && matches!(next, Some(L_BRACKET | L_PAREN | MINUS)))
        }
        _ => false,
    }
}

impl Parser<'_> {
    /// Statements separated by `;`, up to the end (or `}` of a function body).
    pub(super) fn query_body(&mut self, end: Option<SyntaxKind>) {
        loop {
            while self.eat(SEMI) {}
            if self.at_end() || (end.is_some() && self.nth(0) == end) {
                return;
            }
            if matches!(self.nth(0), Some(R_PAREN | R_BRACKET | R_BRACE)) {
                return;
            }
            self.statement();
            if self.eat(SEMI) {
                continue;
            }
            if self.at_end() || (end.is_some() && self.nth(0) == end) {
                return;
            }
            if matches!(self.nth(0), Some(R_PAREN | R_BRACKET | R_BRACE)) {
                return;
            }
            self.expected("';' between statements");
            self.recover();
            if !self.at(SEMI) && !self.at(PIPE) {
                return;
            }
            // A `|` with no pipeline before it: keep it and its operators as an error.
            if self.at(PIPE) {
                self.start(ERROR);
                while self.eat(PIPE) {
                    self.operator();
                }
                self.finish();
            }
        }
    }

    fn statement(&mut self) {
        match self.nth_word(0) {
            Some("let") => self.let_statement(),
            Some("set") if self.nth(1) == Some(IDENT) => {
                self.start(SET_STMT);
                self.bump();
                self.bump();
                // `set notruncation;`, `set query_now = datetime(…);`, dotted option names.
                while self.at(DOT) && self.nth(1) == Some(IDENT) {
                    self.bump();
                    self.bump();
                }
                if self.eat(ASSIGN) {
                    self.expr();
                }
                self.finish();
            }
            Some("declare") if self.nth_word(1) == Some("query_parameters") => {
                self.start(DECLARE_STMT);
                self.bump();
                self.bump();
                self.param_list();
                self.finish();
            }
            Some("alias") if self.nth_word(1) == Some("database") => {
                self.start(ALIAS_STMT);
                self.bump();
                self.bump();
                self.name("the alias");
                if self.expect(ASSIGN, "'='") {
                    self.expr();
                }
                self.finish();
            }
            Some("restrict" | "pattern") if self.nth(1) == Some(IDENT) => {
                self.start(OTHER_STMT);
                self.skip_to_operator_end();
                self.finish();
            }
            _ => {
                self.start(EXPR_STMT);
                self.pipeline_expr();
                self.finish();
            }
        }
    }

    /// `let Name = Value`, where the value is an expression, a tabular expression, or a
    /// function (`(a: string, T: (*)) { … }`, `view () { … }`).
    fn let_statement(&mut self) {
        self.start(LET_STMT);
        self.bump();
        self.name("a name after 'let'");
        if !self.expect(ASSIGN, "'=' after the name") {
            self.recover();
            self.finish();
            return;
        }
        let view = self.at_word("view") && self.nth(1) == Some(L_PAREN);
        if view || self.at_function_parameters() {
            self.start(FUNCTION_DEF);
            if view {
                self.bump();
            }
            self.param_list();
            self.block();
            self.finish();
        } else {
            self.pipeline_expr();
        }
        self.finish();
    }

    /// `()` followed by `{`, or `(Name:`: a function's parameters, not a parenthesised value.
    fn at_function_parameters(&self) -> bool {
        self.at(L_PAREN)
            && ((self.nth(1) == Some(R_PAREN) && self.nth(2) == Some(L_BRACE))
                || (self.nth(1) == Some(IDENT) && self.nth(2) == Some(COLON)))
    }

    /// `(Name: type [= default], T: (*), …)`.
    fn param_list(&mut self) {
        self.start(PARAM_LIST);
        if self.expect(L_PAREN, "'(' and the parameters") {
            while !self.at_operator_end() && !self.at(L_BRACE) {
                self.start(PARAM);
                self.name("a parameter name");
                if self.expect(COLON, "':' and the parameter's type") {
                    self.type_ref();
                }
                if self.eat(ASSIGN) {
                    self.expr();
                }
                self.finish();
                if !self.eat(COMMA) {
                    break;
                }
            }
            self.expect(R_PAREN, "',' or ')' after the parameter");
        }
        self.finish();
    }

    /// A scalar type name, or a tabular schema `(*)` / `(A: string, …)`.
    fn type_ref(&mut self) {
        self.start(TYPE_REF);
        if self.at(L_PAREN) {
            self.schema();
        } else if self.at(IDENT) {
            self.bump();
        } else {
            self.expected("a type");
        }
        self.finish();
    }

    /// `(A: string, B: long)`, `(*)`, `(*, A: string)`.
    pub(super) fn schema(&mut self) {
        self.schema_with(false);
    }

    /// A schema whose columns may take a default value, `Name: type = Value` (scan's `declare`).
    fn schema_with(&mut self, defaults: bool) {
        self.start(SCHEMA);
        if self.expect(L_PAREN, "'(' and the columns") {
            while !self.at(R_PAREN) && !self.at_end() {
                if !self.eat(STAR) {
                    self.start(COLUMN_DECL);
                    self.name("a column name");
                    if self.expect(COLON, "':' and the column's type") {
                        self.type_ref();
                    }
                    if defaults && self.eat(ASSIGN) {
                        self.expr();
                    }
                    self.finish();
                }
                if !self.eat(COMMA) {
                    break;
                }
            }
            self.expect(R_PAREN, "',' or ')' in the column list");
        }
        self.finish();
    }

    /// `{ statements }`.
    fn block(&mut self) {
        self.start(BLOCK);
        if self.expect(L_BRACE, "'{' and the function's body") {
            if self.enter() {
                self.query_body(Some(R_BRACE));
                self.leave();
            }
            self.expect(R_BRACE, "'}' to close the function's body");
        }
        self.finish();
    }

    /// A name: a word or `['quoted name']`.
    pub(super) fn name(&mut self, what: &str) -> bool {
        match self.nth(0) {
            Some(IDENT) => {
                self.bump();
                true
            }
            Some(L_BRACKET) => {
                self.bracket_name();
                true
            }
            _ => {
                self.expected(what);
                false
            }
        }
    }

    /// When the cursor is at an operator that starts a pipeline (`union`, `datatable`, `print`,
    /// `range`, `search`, `find`, `externaldata`, `evaluate`), reads it and returns true.
    pub(super) fn source_operator(&mut self) -> bool {
        let Some(word) = self.nth_word(0) else {
            return false;
        };
        if !source_operator_follows(word, self.nth(1), self.nth_word(2)) {
            return false;
        }
        self.operator();
        true
    }

    /// One tabular operator (the cursor at its name).
    pub(super) fn operator(&mut self) {
        self.start(OPERATOR);
        let name = self.operator_name();
        if let Some(name) = name.as_deref() {
            // No nesting check here: every way back into `operator` passes a bracket, which
            // counts.
            self.operator_body(name);
            if !self.at_operator_end() {
                if self.at(ASSIGN) {
                    self.error_here("'=' names a column; to compare, use '=='");
                } else {
                    let message = format!(
                        "unexpected {} after the '{name}' operator",
                        self.describe_current()
                    );
                    self.error_here(&message);
                }
                self.recover();
            }
        } else {
            self.recover();
        }
        self.finish();
    }

    /// Reads the operator's name into an `OPERATOR_NAME` node, hyphenated parts joined; `None`
    /// (with a diagnostic) when there is no name.
    fn operator_name(&mut self) -> Option<String> {
        if !self.at(IDENT) {
            self.expected("a tabular operator after '|'");
            return None;
        }
        self.start(OPERATOR_NAME);
        let mut name = self.nth_text(0).to_string();
        self.bump();
        while self.at(MINUS) && !self.spaced(0) && self.nth(1) == Some(IDENT) && !self.spaced(1) {
            name.push('-');
            name.push_str(self.nth_text(1));
            self.bump();
            self.bump();
        }
        self.finish();
        Some(name)
    }

    fn operator_body(&mut self, name: &str) {
        self.operator_parameters(name);
        match name {
            "where" | "filter" => self.expr(),
            "project" | "extend" | "print" | "project-rename" => {
                self.named_list_required(&[], &format!("a column or expression after '{name}'"))
            }
            "serialize" => self.named_list(&[]),
            "project-away" | "project-keep" | "project-reorder" => self.pattern_list(),
            "project-by-names" => {
                self.named_list_required(&[], "the columns of 'project-by-names'")
            }
            "take" | "limit" | "sample" => self.expr(),
            "count" | "getschema" | "consume" => {}
            "distinct" => self.named_list_required(&[], "the columns of 'distinct' (or *)"),
            "summarize" => {
                if self.at_operator_end() {
                    self.expected("aggregates or 'by' after 'summarize'");
                } else if !self.at_word("by") {
                    self.named_list(&["by"]);
                }
                self.clause_list("by");
            }
            "sort" | "order" => {
                if self.clause_start("by") {
                    self.sort_keys();
                    self.finish();
                } else {
                    self.expected(&format!("'by' after '{name}'"));
                }
            }
            "top" => {
                self.expr();
                if self.clause_start("by") {
                    self.sort_keys();
                    self.finish();
                } else {
                    self.expected("'by' after the number of rows of 'top'");
                }
            }
            "top-nested" => self.top_nested(),
            "top-hitters" => {
                self.expr();
                self.clause_expr("of");
                self.clause_expr("by");
            }
            "sample-distinct" => {
                self.expr();
                self.clause_expr("of");
            }
            "join" | "lookup" => self.join(),
            "union" => self.union(),
            "mv-expand" | "mvexpand" => {
                self.expand_items();
                self.clause_expr("limit");
            }
            "mv-apply" | "mvapply" => {
                self.expand_items();
                self.clause_expr("limit");
                if self.clause_start("on") {
                    self.subquery();
                    self.finish();
                } else {
                    self.expected("'on' and the subquery of 'mv-apply'");
                }
            }
            "parse" | "parse-where" => {
                self.expr();
                if self.clause_start("with") {
                    self.parse_pattern();
                    self.finish();
                } else {
                    self.expected("'with' and the pattern");
                }
            }
            "parse-kv" => {
                self.expr();
                if self.clause_start("as") {
                    self.schema();
                    self.finish();
                } else {
                    self.expected("'as' and the columns to extract");
                }
                self.with_properties();
            }
            "make-series" => self.make_series(),
            "evaluate" => {
                self.expr();
                if self.eat(COLON) {
                    self.schema();
                }
            }
            "invoke" => self.expr(),
            "as" => {
                self.name("a name after 'as'");
            }
            "render" => {
                if !self.name("a visualization after 'render' (timechart, columnchart, …)") {
                    return;
                }
                self.with_properties();
            }
            "range" => {
                self.name("the column of 'range'");
                self.clause_expr("from");
                self.clause_expr("to");
                self.clause_expr("step");
            }
            "datatable" => {
                self.schema();
                self.value_list();
            }
            "externaldata" | "external_data" => {
                self.schema();
                self.value_list();
                self.with_properties();
            }
            "facet" => {
                self.clause_list("by");
                if self.clause_start("with") {
                    self.subquery();
                    self.finish();
                }
            }
            "fork" => self.fork(),
            "partition" => self.partition(),
            "scan" => self.scan(),
            "search" => {
                self.in_tables();
                if !self.at_operator_end() {
                    self.expr();
                }
            }
            "find" => {
                self.in_tables();
                if self.clause_start("where") {
                    self.expr();
                    self.finish();
                } else {
                    self.expected("'where' and the predicate of 'find'");
                }
                if self.at(IDENT)
                    && matches!(
                        self.nth_text(0),
                        "project" | "project-smart" | "project-away"
                    )
                {
                    self.start(CLAUSE);
                    self.operator_name();
                    self.pattern_list();
                    self.finish();
                }
            }
            "reduce" => {
                self.clause_expr("by");
                self.with_properties();
            }
            "make-graph" => self.make_graph(),
            "graph-match" | "graph-shortest-paths" => self.graph_match(name),
            "graph-to-table" => self.graph_to_table(),
            // Its parameters (`kind=`, `with_component_id=`) are all it has.
            "graph-mark-components" => {}
            // Operators hunting queries do not use (and the graph filters the documentation
            // does not describe): kept whole, read loosely.
            "macro-expand" | "graph-where-nodes" | "graph-where-edges" | "assert-schema"
            | "project-smart" => {
                self.skip_to_operator_end();
            }
            other => {
                let message = format!("unknown tabular operator '{}'", other.escape_debug());
                // Point at the name, which is just before the cursor.
                let start = self.prev_end().saturating_sub(other.len());
                self.error_at(crate::kql::Span::new(start, self.prev_end()), &message);
                self.recover();
            }
        }
    }

    /// `kind=inner hint.strategy=shuffle …` before the arguments.
    fn operator_parameters(&mut self, operator: &str) {
        // From the language table (the operators' pages); `hint.*` names are taken by every
        // operator, as Kusto's parser does.
        let known = language::tabular_operator(operator).map_or(&[][..], |o| o.parameters);
        loop {
            let Some(word) = self.nth_word(0) else {
                return;
            };
            // `hint.strategy`: a dotted name written without spaces.
            let dotted = word == "hint" && self.at_dotted_name() && self.nth(3) == Some(ASSIGN);
            if !(dotted || (known.contains(&word) && self.nth(1) == Some(ASSIGN))) {
                return;
            }
            self.start(OPERATOR_PARAM);
            self.bump();
            if dotted {
                self.bump();
                self.bump();
            }
            self.bump();
            self.parameter_value();
            self.finish();
        }
    }

    /// A parameter's value: one literal or name (`inner`, `true`, `'Source'`, `0.5`).
    pub(super) fn parameter_value(&mut self) {
        match self.nth(0) {
            Some(IDENT | STRING | INT | REAL | TIMESPAN) => {
                self.start(if self.at(IDENT) { NAME_REF } else { LITERAL });
                self.bump();
                self.finish();
            }
            Some(L_BRACKET) => self.bracket_name(),
            _ => self.expected("the parameter's value"),
        }
    }

    fn at_dotted_name(&self) -> bool {
        self.nth(1) == Some(DOT) && !self.spaced(1) && self.nth(2) == Some(IDENT) && !self.spaced(2)
    }

    /// Starts a `CLAUSE` node when the cursor is at `word` (and takes the word).
    pub(super) fn clause_start(&mut self, word: &str) -> bool {
        if !self.at_word(word) {
            return false;
        }
        self.start(CLAUSE);
        self.bump();
        true
    }

    /// `word Expr`, when the word is there.
    fn clause_expr(&mut self, word: &str) {
        if self.clause_start(word) {
            self.expr();
            self.finish();
        }
    }

    /// `word NamedExpr, …`, when the word is there.
    fn clause_list(&mut self, word: &str) {
        if self.clause_start(word) {
            self.named_list_required(&[], &format!("an expression after '{word}'"));
            self.finish();
        }
    }

    /// `with (Name = Value, …)` or `with Name = Value, …`, when `with` is there.
    fn with_properties(&mut self) {
        if self.clause_start("with") {
            if self.at(L_PAREN) {
                self.arg_list("'('");
            } else {
                self.named_list(&[]);
            }
            self.finish();
        }
    }

    /// Comma-separated `NamedExpr`s: `Name = Expr`, `(A, B) = Expr`, or `Expr`. Stops before a
    /// word in `stop` (`by`).
    pub(super) fn named_list(&mut self, stop: &[&str]) {
        let mut after_comma = false;
        loop {
            if self.at_operator_end() || self.nth_word(0).is_some_and(|w| stop.contains(&w)) {
                if after_comma {
                    self.expected("an expression after ','");
                }
                return;
            }
            self.named_expr();
            if !self.eat(COMMA) {
                return;
            }
            after_comma = true;
        }
    }

    /// [`Self::named_list`] that must hold at least one item (`project`, `by`, …).
    pub(super) fn named_list_required(&mut self, stop: &[&str], what: &str) {
        if self.at_operator_end() || self.nth_word(0).is_some_and(|w| stop.contains(&w)) {
            self.expected(what);
            return;
        }
        self.named_list(stop);
    }

    fn named_expr(&mut self) {
        self.start(NAMED_EXPR);
        if self.at_tuple_assignment() {
            self.bump();
            loop {
                self.name("a column name");
                if !self.eat(COMMA) {
                    break;
                }
            }
            self.expect(R_PAREN, "')'");
            self.bump();
        } else if (self.at(IDENT) && self.nth(1) == Some(ASSIGN))
            || (self.at(L_BRACKET)
                && self.nth(1) == Some(STRING)
                && self.nth(2) == Some(R_BRACKET)
                && self.nth(3) == Some(ASSIGN))
        {
            self.name("a name");
            self.bump();
        }
        self.expr();
        // `project-reorder A asc`, `make-series … default = 0`.
        if self.at_word("default") && self.nth(1) == Some(ASSIGN) {
            self.start(CLAUSE);
            self.bump();
            self.bump();
            self.expr();
            self.finish();
        }
        self.finish();
    }

    /// `(A, B, …) =`: looks ahead over a parenthesised name list (bounded by its length).
    fn at_tuple_assignment(&self) -> bool {
        if !self.at(L_PAREN) {
            return false;
        }
        let mut n = 1;
        loop {
            match self.nth(n) {
                Some(IDENT) => n += 1,
                Some(L_BRACKET)
                    if self.nth(n + 1) == Some(STRING) && self.nth(n + 2) == Some(R_BRACKET) =>
                {
                    n += 3
                }
                _ => return false,
            }
            match self.nth(n) {
                Some(COMMA) => n += 1,
                Some(R_PAREN) => return self.nth(n + 1) == Some(ASSIGN),
                _ => return false,
            }
        }
    }

    /// Column names with wildcards (`Account*`, `*Id`, `['a b']`), with `asc`/`desc` for
    /// `project-reorder`.
    fn pattern_list(&mut self) {
        loop {
            if self.at_operator_end() {
                self.expected("a column name");
                return;
            }
            self.name_pattern();
            if self.at_word("asc") || self.at_word("desc") || self.at_word("granny-asc") {
                self.bump();
            }
            if !self.eat(COMMA) {
                return;
            }
        }
    }

    /// A name, or a name with `*` wildcards written without spaces (`Device*Events`).
    fn name_pattern(&mut self) {
        let wildcard = (self.at(STAR) && !self.at_operator_end())
            || (self.at(IDENT) && self.nth(1) == Some(STAR) && !self.spaced(1));
        if !wildcard {
            self.name("a column name");
            return;
        }
        self.start(NAME_PATTERN);
        self.bump();
        while matches!(self.nth(0), Some(STAR | IDENT | INT)) && !self.spaced(0) {
            self.bump();
        }
        self.finish();
    }

    fn sort_keys(&mut self) {
        loop {
            self.start(SORT_KEY);
            self.expr();
            if self.at_word("asc") || self.at_word("desc") {
                self.bump();
            }
            if self.at_word("nulls") {
                self.bump();
                if self.at_word("first") || self.at_word("last") {
                    self.bump();
                } else {
                    self.expected("'first' or 'last' after 'nulls'");
                }
            }
            self.finish();
            if !self.eat(COMMA) {
                return;
            }
        }
    }

    /// `top-nested [N] of Expr [with others = Expr] by Aggregate [asc|desc], top-nested …`.
    fn top_nested(&mut self) {
        loop {
            if !self.at_word("of") {
                self.expr();
            }
            if self.clause_start("of") {
                self.named_expr();
                self.finish();
            } else {
                self.expected("'of' and the column of 'top-nested'");
                return;
            }
            if self.clause_start("with") {
                if self.eat_word("others") {
                    self.expect(ASSIGN, "'=' after 'others'");
                    self.expr();
                } else {
                    self.expected("'others' after 'with'");
                }
                self.finish();
            }
            if self.clause_start("by") {
                self.named_expr();
                if self.at_word("asc") || self.at_word("desc") {
                    self.bump();
                }
                self.finish();
            } else {
                self.expected("'by' and the aggregate of 'top-nested'");
                return;
            }
            if !(self.at(COMMA) && self.nth_word(1) == Some("top")) {
                return;
            }
            self.bump();
            self.operator_name();
        }
    }

    /// `join`/`lookup`: `[Param=Value …] RightTable|(subquery) on Key [, Key …]`.
    fn join(&mut self) {
        if self.at_operator_end() {
            self.expected("the table or subquery to join");
            return;
        }
        self.expr();
        if self.clause_start("on") {
            loop {
                self.expr();
                if !self.eat(COMMA) {
                    break;
                }
            }
            self.finish();
        } else if self.clause_start("where") {
            self.expr();
            self.finish();
        } else {
            self.expected("'on' and the columns to join on");
        }
    }

    /// `union [Param=Value …] Table, Table*, (subquery), …`.
    fn union(&mut self) {
        loop {
            if self.at_operator_end() {
                self.expected("a table or subquery to union");
                return;
            }
            if self.at(STAR) || (self.at(IDENT) && self.nth(1) == Some(STAR) && !self.spaced(1)) {
                self.name_pattern();
            } else {
                self.expr();
            }
            if !self.eat(COMMA) {
                return;
            }
        }
    }

    /// `Name = Column [to typeof(T)], …` of `mv-expand` and `mv-apply`.
    fn expand_items(&mut self) {
        loop {
            self.start(NAMED_EXPR);
            if (self.at(IDENT) && self.nth(1) == Some(ASSIGN))
                || (self.at(L_BRACKET) && self.nth(3) == Some(ASSIGN))
            {
                self.name("a name");
                self.bump();
            }
            self.expr();
            if self.clause_start("to") {
                if self.at_word("typeof") {
                    self.call();
                } else {
                    self.expected("'typeof(…)' after 'to'");
                }
                self.finish();
            }
            self.finish();
            if !self.eat(COMMA) {
                return;
            }
        }
    }

    /// `( Operator | Operator … )`: operators applied to a context given by the enclosing one.
    pub(super) fn subquery(&mut self) {
        self.start(SUBQUERY);
        if self.expect(L_PAREN, "'(' and the subquery") {
            if self.enter() {
                if !self.at(R_PAREN) {
                    self.operator();
                    while self.eat(PIPE) {
                        self.operator();
                    }
                }
                self.leave();
            }
            self.expect(R_PAREN, "')' to close the subquery");
        }
        self.finish();
    }

    /// The pattern of `parse`: `"text" Name[:type] * …`, up to the end of the operator.
    fn parse_pattern(&mut self) {
        self.start(PARSE_PATTERN);
        if self.at_operator_end() {
            self.expected("the pattern: strings, column names and '*'");
        }
        while !self.at_operator_end() {
            match self.nth(0) {
                Some(STRING | STAR) => self.bump(),
                Some(IDENT | L_BRACKET) => {
                    self.start(COLUMN_DECL);
                    self.name("a column name");
                    if self.eat(COLON) {
                        self.type_ref();
                    }
                    self.finish();
                }
                _ => {
                    self.expected("a string, a column name or '*' in the pattern");
                    break;
                }
            }
            // Items may be separated by commas in older queries.
            self.eat(COMMA);
        }
        self.finish();
    }

    /// `make-series [Param=…] Name = Aggregate [default = V], … on Axis (from A to B step S |
    /// in range(A, B, S)) [by Column, …]`.
    fn make_series(&mut self) {
        self.named_list(&["on"]);
        if self.clause_start("on") {
            // Not a full expression: `on Timestamp in range(…)` is the axis, then its range.
            self.additive_expr();
            self.finish();
        } else {
            self.expected("'on' and the axis column of 'make-series'");
            return;
        }
        if self.clause_start("in") {
            self.expr();
            self.finish();
        } else {
            self.clause_expr("from");
            self.clause_expr("to");
            if self.clause_start("step") {
                self.expr();
                self.finish();
            } else {
                self.expected("'step' and the series' interval");
            }
        }
        self.clause_list("by");
    }

    /// `[ Value, Value, … ]` of `datatable` and `externaldata`.
    fn value_list(&mut self) {
        self.start(ARG_LIST);
        if self.expect(L_BRACKET, "'[' and the values") {
            if self.enter() {
                while !self.at(R_BRACKET) && !self.at_end() {
                    self.expr();
                    if !self.eat(COMMA) {
                        break;
                    }
                }
                self.leave();
            }
            self.expect(R_BRACKET, "',' or ']'");
        }
        self.finish();
    }

    /// `fork [Name =] (subquery) …`.
    fn fork(&mut self) {
        let mut any = false;
        while self.at(L_PAREN) || (self.at(IDENT) && self.nth(1) == Some(ASSIGN)) {
            any = true;
            self.start(NAMED_EXPR);
            if self.at(IDENT) {
                self.bump();
                self.bump();
            }
            self.subquery();
            self.finish();
            self.eat(COMMA);
        }
        if !any {
            self.expected("'(' and a subquery of 'fork'");
        }
    }

    /// `partition [hint.…] by Column (subquery)` or `{ query }`.
    fn partition(&mut self) {
        if self.clause_start("by") {
            self.name("the partition column");
            self.finish();
        } else {
            self.expected("'by' and the partition column");
            return;
        }
        if self.at(L_BRACE) {
            self.block();
        } else {
            self.subquery();
        }
    }

    /// `scan [with_match_id = Id] [declare (Columns)] with (step Name [output = …]: Predicate
    /// [=> Assignments]; …)`.
    fn scan(&mut self) {
        if self.clause_start("declare") {
            self.schema_with(true);
            self.finish();
        }
        if !self.clause_start("with") {
            self.expected("'with' and the steps of 'scan'");
            return;
        }
        if self.expect(L_PAREN, "'(' and the steps") {
            if self.enter() {
                while self.at_word("step") {
                    self.start(CLAUSE);
                    self.bump();
                    self.name("the step's name");
                    while self.at(IDENT) && self.nth(1) == Some(ASSIGN) {
                        self.start(OPERATOR_PARAM);
                        self.bump();
                        self.bump();
                        self.expr();
                        self.finish();
                    }
                    if self.expect(COLON, "':' and the step's condition") {
                        self.expr();
                    }
                    if self.eat(FAT_ARROW) {
                        self.named_list(&[]);
                    }
                    self.finish();
                    if !self.eat(SEMI) {
                        break;
                    }
                }
                self.leave();
            }
            self.expect(R_PAREN, "';' or ')' after the step");
        }
        self.finish();
    }

    /// `in (Table, …)` of `search` and `find`.
    fn in_tables(&mut self) {
        if self.at_word("in") && self.nth(1) == Some(L_PAREN) {
            self.start(CLAUSE);
            self.bump();
            self.bump();
            while !self.at(R_PAREN) && !self.at_end() {
                if self.at(STAR) || (self.at(IDENT) && self.nth(1) == Some(STAR) && !self.spaced(1))
                {
                    self.name_pattern();
                } else {
                    self.expr();
                }
                if !self.eat(COMMA) {
                    break;
                }
            }
            self.expect(R_PAREN, "',' or ')'");
            self.finish();
        }
    }
}
