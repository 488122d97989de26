//! User-defined functions (`let f = (a: long, T: (*), n: long = 5) { … }`), planned by binding
//! the arguments to the parameters and planning the body in their place, once per call site.
//! Facts: functions/user-defined-functions.md (parameters by position or name, defaults for
//! the scalar ones that may be left out, no recursion).

use std::collections::HashMap;
use std::sync::Arc;

use super::{Frame, Planner, Typed};
use crate::backend::QueryError;
use crate::kql::Span;
use crate::kql::ast::{Expr, ExprKind, Function, Ident, LetValue};

/// How deeply function calls may nest (KQL forbids recursion; this keeps a mistaken one from
/// recursing for ever).
const MAX_CALL_DEPTH: u32 = 32;

/// What a body's value is.
pub(super) enum Called {
    Scalar(Typed),
    Tabular(Frame),
}

/// The names a scope binds.
#[derive(Clone, Default)]
pub(super) struct Scope {
    pub scalars: HashMap<String, Typed>,
    pub tabulars: HashMap<String, Frame>,
    pub functions: HashMap<String, Arc<Defined>>,
    pub unsupported: HashMap<String, String>,
}

/// A function as let defined it, with the names visible where it was defined: its body reads
/// those (KQL's scoping is lexical), not the caller's — and not itself, so it cannot recurse.
pub(super) struct Defined {
    pub function: Arc<Function>,
    pub scope: Scope,
}

/// The planner's names while a body is planned, to be put back afterwards.
pub(super) struct Saved {
    scope: Scope,
    parameters: HashMap<String, Typed>,
}

impl Planner<'_> {
    /// Plans a call of the user-defined function `name` with `args`, in `frame` (the caller's
    /// row context, where scalar arguments are read). `None` when `name` is no such function.
    pub(super) fn call_user_function(
        &mut self,
        name: &Ident,
        args: &[Expr],
        frame: &Frame,
        span: Span,
    ) -> Option<Result<Called, QueryError>> {
        let defined = self.functions.get(&name.name)?.clone();
        Some(self.call_function(&name.name, &defined, args, frame, span))
    }

    fn call_function(
        &mut self,
        name: &str,
        defined: &Defined,
        args: &[Expr],
        frame: &Frame,
        span: Span,
    ) -> Result<Called, QueryError> {
        let function = &defined.function;
        if self.call_depth >= MAX_CALL_DEPTH {
            return Err(self.semantic(
                format!(
                    "'{name}' calls functions more than {MAX_CALL_DEPTH} deep (KQL functions cannot call themselves)"
                ),
                span,
            ));
        }
        // Arguments by position, or `name = value`.
        let mut given: Vec<Option<&Expr>> = vec![None; function.parameters.len()];
        let mut position = 0;
        for arg in args {
            match &arg.kind {
                ExprKind::NamedArg {
                    name: arg_name,
                    value,
                } => {
                    let Some(at) = function
                        .parameters
                        .iter()
                        .position(|p| p.name.name == arg_name.name)
                    else {
                        return Err(self.semantic(
                            format!("'{name}' has no parameter '{}'", arg_name.name),
                            arg_name.span,
                        ));
                    };
                    given[at] = Some(value);
                }
                _ => {
                    // A positional argument fills the next parameter not named already.
                    while position < given.len() && given[position].is_some() {
                        position += 1;
                    }
                    if position >= given.len() {
                        return Err(self.semantic(
                            format!(
                                "'{name}' takes {} argument{}",
                                given.len(),
                                if given.len() == 1 { "" } else { "s" }
                            ),
                            arg.span,
                        ));
                    }
                    given[position] = Some(arg);
                    position += 1;
                }
            }
        }
        // Bind each parameter in the caller's context, before the body's names shadow anything.
        let mut scalars = HashMap::new();
        let mut tabulars = HashMap::new();
        for (parameter, arg) in function.parameters.iter().zip(&given) {
            let arg = match (arg, &parameter.default) {
                (Some(arg), _) => *arg,
                (None, Some(default)) => default,
                (None, None) => {
                    return Err(self.semantic(
                        format!("'{name}' needs a value for '{}'", parameter.name.name),
                        span,
                    ));
                }
            };
            match &parameter.scalar_type {
                Some(_) => {
                    let typed = self.expr(arg, frame)?;
                    scalars.insert(parameter.name.name.clone(), typed);
                }
                None => {
                    let table = self.tabular_argument(arg)?;
                    tabulars.insert(parameter.name.name.clone(), table);
                }
            }
        }
        let saved = self.enter_body(&defined.scope, scalars, tabulars);
        self.call_depth += 1;
        let result = self.body(name, function, frame, span);
        self.call_depth -= 1;
        self.leave_body(saved);
        result
    }

    /// A tabular argument: a table or tabular let by name, or a subquery.
    fn tabular_argument(&mut self, arg: &Expr) -> Result<Frame, QueryError> {
        match &arg.kind {
            ExprKind::Column(table) => self.table(&Ident {
                name: table.clone(),
                span: arg.span,
            }),
            ExprKind::Tabular(pipeline) => self.pipeline(pipeline),
            _ => Err(self.semantic("expected a table or a tabular expression here", arg.span)),
        }
    }

    /// The body's lets, then its value, with the parameters bound.
    fn body(
        &mut self,
        name: &str,
        function: &Function,
        frame: &Frame,
        span: Span,
    ) -> Result<Called, QueryError> {
        for statement in &function.lets {
            self.let_statement(&statement.name, &statement.value)?;
        }
        match &function.value {
            // A bare table name is a tabular body (`{ DeviceInfo }`), as in a let.
            Some(LetValue::Scalar(expr))
                if matches!(&expr.kind, ExprKind::Column(table)
                    if self.tabulars.contains_key(table) || self.catalog.get(table).is_some()) =>
            {
                let ExprKind::Column(table) = &expr.kind else {
                    unreachable!("matched above")
                };
                Ok(Called::Tabular(self.table(&Ident {
                    name: table.clone(),
                    span: expr.span,
                })?))
            }
            Some(LetValue::Scalar(expr)) => {
                // A name in a scalar body reads the parameters first, then the caller's row.
                let typed = self.expr(expr, frame)?;
                Ok(Called::Scalar(typed))
            }
            Some(LetValue::Tabular(pipeline)) => Ok(Called::Tabular(self.pipeline(pipeline)?)),
            _ => Err(self.semantic(format!("the function '{name}' has no value"), span)),
        }
    }

    /// The names of the definition's scope, the parameters shadowing them.
    fn enter_body(
        &mut self,
        scope: &Scope,
        scalars: HashMap<String, Typed>,
        tabulars: HashMap<String, Frame>,
    ) -> Saved {
        let saved = Saved {
            scope: Scope {
                scalars: std::mem::replace(&mut self.scalars, scope.scalars.clone()),
                tabulars: std::mem::replace(&mut self.tabulars, scope.tabulars.clone()),
                functions: std::mem::replace(&mut self.functions, scope.functions.clone()),
                unsupported: std::mem::replace(&mut self.unsupported, scope.unsupported.clone()),
            },
            parameters: std::mem::take(&mut self.parameters),
        };
        for name in scalars.keys().chain(tabulars.keys()) {
            self.scalars.remove(name);
            self.tabulars.remove(name);
            self.functions.remove(name);
            self.unsupported.remove(name);
        }
        self.tabulars.extend(tabulars);
        self.parameters = scalars;
        saved
    }

    fn leave_body(&mut self, saved: Saved) {
        self.scalars = saved.scope.scalars;
        self.tabulars = saved.scope.tabulars;
        self.functions = saved.scope.functions;
        self.unsupported = saved.scope.unsupported;
        self.parameters = saved.parameters;
    }

    /// What a function defined here sees: every name bound so far.
    pub(super) fn scope_here(&self) -> Scope {
        Scope {
            scalars: self.scalars.clone(),
            tabulars: self.tabulars.clone(),
            functions: self.functions.clone(),
            unsupported: self.unsupported.clone(),
        }
    }
}
