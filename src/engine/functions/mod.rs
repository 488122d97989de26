//! KQL scalar functions that work one row at a time, one small definition each: a name, the
//! parameters it takes (by kind), how its result type follows from its arguments' types, and
//! the row function itself over [`KqlValue`]s. One generic UDF ([`RowUdf`]) runs any of them,
//! so a function is written — and tested with its documentation page's examples — as plain
//! Rust, without Arrow.
//!
//! The families live in files by subject (`strings`, `datetime`, `dynamic`, `network`,
//! `math`, `encoding`, `geo`); [`lookup`] finds a definition by its KQL name. Functions on hot paths
//! of hunting queries (`has`, `tostring`, property access) stay vectorised in `engine::udf`.

mod datetime;
mod dynamic;
mod encoding;
mod geo;
mod math;
mod network;
mod series_analysis;
mod strings;
mod value;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::results::KqlType;
pub use series_analysis::{
    DECOMPOSE_ANOMALIES_COLUMNS, DECOMPOSE_COLUMNS, SERIES_DECOMPOSE, SERIES_DECOMPOSE_ANOMALIES,
    undetected,
};
pub use value::{KqlValue, cached_regex};

/// What kind of value a parameter takes. The planner checks each argument's KQL type against
/// it before the query runs, so a row function only ever sees values of these kinds (or null).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// Any scalar; the function reads it as it likes (usually as text).
    Any,
    /// Text. Every scalar converts (KQL converts numbers and datetimes to their text).
    Text,
    /// `int`, `long`, `real` or `decimal`.
    Number,
    /// `int` or `long` (a `real` is refused, as Kusto does).
    Integer,
    /// `datetime`.
    DateTime,
    /// `timespan`.
    Timespan,
    /// `dynamic`, or any scalar taken as a dynamic value.
    Dynamic,
    /// `bool`.
    Bool,
    /// `typeof(T)`: the planner passes T's name as a string (`"long"`), and checks the
    /// argument is one; [`Returns::TypeArgument`] makes T the result type.
    Type,
}

impl Param {
    /// Whether a value of `ty` can be passed here.
    pub fn accepts(self, ty: KqlType) -> bool {
        use KqlType as T;
        match self {
            // For a `typeof(T)` argument the planner checks T itself.
            Param::Any | Param::Text | Param::Dynamic | Param::Type => true,
            Param::Number => matches!(ty, T::Int | T::Long | T::Real | T::Decimal),
            Param::Integer => matches!(ty, T::Int | T::Long),
            Param::DateTime => ty == T::DateTime,
            Param::Timespan => ty == T::Timespan,
            Param::Bool => ty == T::Bool,
        }
    }

    /// The kind, for messages ("a number").
    pub fn describe(self) -> &'static str {
        match self {
            Param::Any => "a scalar value",
            Param::Text => "a string",
            Param::Number => "a number",
            Param::Integer => "an int or long",
            Param::DateTime => "a datetime",
            Param::Timespan => "a timespan",
            Param::Dynamic => "a dynamic value",
            Param::Bool => "a bool",
            Param::Type => "a type, typeof(T)",
        }
    }
}

/// How the result type follows from the argument types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returns {
    /// Always this type.
    Always(KqlType),
    /// The type of argument `n` (`max_of`, `iff`-like functions).
    ArgumentType(usize),
    /// `real` when any argument is `real` or `decimal`, otherwise `long`.
    Numeric,
    /// The type named by the `typeof(T)` argument `n`, or the second when it is not given.
    TypeArgument(usize, KqlType),
}

impl Returns {
    /// The result type for these argument types.
    pub fn resolve(self, types: &[KqlType]) -> KqlType {
        match self {
            Returns::Always(ty) => ty,
            Returns::ArgumentType(n) => types.get(n).copied().unwrap_or(KqlType::Dynamic),
            Returns::TypeArgument(n, default) => types.get(n).copied().unwrap_or(default),
            Returns::Numeric => {
                if types
                    .iter()
                    .any(|t| matches!(t, KqlType::Real | KqlType::Decimal))
                {
                    KqlType::Real
                } else {
                    KqlType::Long
                }
            }
        }
    }
}

/// One KQL scalar function evaluated row by row.
///
/// `eval` gets one value per argument, each of the kind its [`Param`] says or
/// [`KqlValue::Null`]; it returns the result (converted to the resolved result type by
/// [`RowUdf`]; a value of another kind becomes null) or an error message for input Kusto
/// rejects at run time (an invalid regular expression).
#[derive(Debug)]
pub struct RowFunction {
    /// The KQL name.
    pub name: &'static str,
    /// The parameters in order; those past `required` are optional.
    pub params: &'static [Param],
    /// How many arguments must be given.
    pub required: usize,
    /// Whether the last parameter repeats (`strcat_delim`, `max_of`): then up to 64 arguments.
    pub variadic: bool,
    /// The result type.
    pub returns: Returns,
    /// The row function.
    pub eval: fn(&[KqlValue]) -> Result<KqlValue, String>,
    /// Whether the same arguments may give another answer (`rand`, `new_guid`).
    pub volatile: bool,
}

impl RowFunction {
    /// A deterministic function; the families' tables build theirs with it.
    pub const fn new(
        name: &'static str,
        params: &'static [Param],
        required: usize,
        variadic: bool,
        returns: Returns,
        eval: fn(&[KqlValue]) -> Result<KqlValue, String>,
    ) -> RowFunction {
        RowFunction {
            name,
            params,
            required,
            variadic,
            returns,
            eval,
            volatile: false,
        }
    }

    /// The most arguments it takes.
    pub fn max_args(&self) -> usize {
        if self.variadic { 64 } else { self.params.len() }
    }

    /// The parameter kind of argument `index`.
    pub fn param(&self, index: usize) -> Param {
        match self.params.get(index) {
            Some(param) => *param,
            None => self.params.last().copied().unwrap_or(Param::Any),
        }
    }

    /// Checks the argument types (for a [`Param::Type`] argument, the type it names);
    /// `Err((index, message))` names the first that does not fit.
    pub fn check(&self, types: &[KqlType]) -> std::result::Result<KqlType, (usize, String)> {
        for (index, ty) in types.iter().enumerate() {
            let param = self.param(index);
            if !param.accepts(*ty) {
                return Err((
                    index,
                    format!(
                        "argument {} of {}() must be {}, this is {}",
                        index + 1,
                        self.name,
                        param.describe(),
                        ty.with_article()
                    ),
                ));
            }
        }
        Ok(self.returns.resolve(types))
    }
}

/// A JSON element as the KQL type named `type_name` (`"long"`), null when it is not one of it:
/// `extract_json`'s conversion, also `bag_unpack`'s.
pub fn json_as(element: Option<&serde_json::Value>, type_name: &str) -> KqlValue {
    dynamic::element_as(element, type_name)
}

/// `array_sort_asc` of several arrays: their sorted forms as one dynamic array (the planner
/// spreads it over one column per array).
pub static ARRAY_SORT_ASC_SEVERAL: RowFunction = RowFunction::new(
    "array_sort_asc",
    &[Param::Dynamic, Param::Any],
    2,
    true,
    Returns::Always(KqlType::Dynamic),
    |args| Ok(dynamic::array_sort_several(args, false)),
);

/// `array_sort_desc` of several arrays, as [`ARRAY_SORT_ASC_SEVERAL`].
pub static ARRAY_SORT_DESC_SEVERAL: RowFunction = RowFunction::new(
    "array_sort_desc",
    &[Param::Dynamic, Param::Any],
    2,
    true,
    Returns::Always(KqlType::Dynamic),
    |args| Ok(dynamic::array_sort_several(args, true)),
);

/// Every family's functions.
fn families() -> [&'static [RowFunction]; 8] {
    [
        strings::FUNCTIONS,
        datetime::FUNCTIONS,
        dynamic::FUNCTIONS,
        network::FUNCTIONS,
        math::FUNCTIONS,
        encoding::FUNCTIONS,
        geo::FUNCTIONS,
        series_analysis::FUNCTIONS,
    ]
}

/// The row function named `name` (KQL names are case-sensitive), if there is one.
pub fn lookup(name: &str) -> Option<&'static RowFunction> {
    families()
        .into_iter()
        .flat_map(|family| family.iter())
        .find(|function| function.name == name)
}

/// Every row function's name, for the conformance report and tests.
pub fn names() -> impl Iterator<Item = &'static str> {
    families()
        .into_iter()
        .flat_map(|family| family.iter())
        .map(|function| function.name)
}

/// The DataFusion UDF that runs one [`RowFunction`] for arguments of known KQL types. Two are
/// equal when they run the same function (names are unique) on the same types.
#[derive(Debug)]
pub struct RowUdf {
    function: &'static RowFunction,
    arg_types: Vec<KqlType>,
    result: KqlType,
    name: String,
    signature: Signature,
}

impl RowUdf {
    /// The UDF for `function` called with arguments of `arg_types`, giving `result`.
    pub fn udf(
        function: &'static RowFunction,
        arg_types: Vec<KqlType>,
        result: KqlType,
    ) -> ScalarUDF {
        let volatility = if function.volatile {
            Volatility::Volatile
        } else {
            Volatility::Immutable
        };
        let name = format!("kql_{}", function.name);
        ScalarUDF::from(RowUdf {
            function,
            // DataFusion takes no "any of 0 arguments": a call without any is nullary.
            signature: if arg_types.is_empty() {
                Signature::nullary(volatility)
            } else {
                Signature::any(arg_types.len(), volatility)
            },
            arg_types,
            result,
            name,
        })
    }
}

impl PartialEq for RowUdf {
    fn eq(&self, other: &RowUdf) -> bool {
        self.name == other.name && self.arg_types == other.arg_types && self.result == other.result
    }
}

impl Eq for RowUdf {}

impl std::hash::Hash for RowUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.arg_types.hash(state);
        self.result.hash(state);
    }
}

impl ScalarUDFImpl for RowUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.result.arrow_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|arg| arg.to_array(rows))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let mut out = Output::new(self.result, rows);
        let mut values = Vec::with_capacity(arrays.len());
        for row in 0..rows {
            values.clear();
            for (array, ty) in arrays.iter().zip(&self.arg_types) {
                values.push(KqlValue::from_cell(array.as_ref(), row, *ty));
            }
            let pushed = (self.function.eval)(&values).and_then(|value| out.push(value));
            if let Err(message) = pushed {
                return exec_err!("{}(): {message}", self.function.name);
            }
        }
        Ok(ColumnarValue::Array(out.finish()))
    }
}

/// The most bytes of text one column of one batch holds: Arrow's offsets are i32.
pub const MAX_BATCH_TEXT: usize = i32::MAX as usize;

/// Appends `text` to a text column, or says why not: past [`MAX_BATCH_TEXT`] bytes in one
/// batch Arrow's builder panics ("byte array offset overflow").
pub fn append_text(builder: &mut StringBuilder, text: &str) -> std::result::Result<(), String> {
    if builder.values_slice().len().saturating_add(text.len()) > MAX_BATCH_TEXT {
        return Err(format!(
            "the values made for one batch of rows pass {} bytes of text, the most the local engine holds in one column",
            MAX_BATCH_TEXT
        ));
    }
    builder.append_value(text);
    Ok(())
}

/// An Arrow builder for one KQL result type.
enum Output {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder, KqlType),
    Real(Float64Builder),
    Text(StringBuilder, KqlType),
}

impl Output {
    fn new(ty: KqlType, rows: usize) -> Output {
        match ty {
            KqlType::Bool => Output::Bool(BooleanBuilder::with_capacity(rows)),
            KqlType::Int => Output::Int(Int32Builder::with_capacity(rows)),
            KqlType::Long | KqlType::DateTime | KqlType::Timespan => {
                Output::Long(Int64Builder::with_capacity(rows), ty)
            }
            KqlType::Real | KqlType::Decimal => Output::Real(Float64Builder::with_capacity(rows)),
            KqlType::String | KqlType::Guid | KqlType::Dynamic => {
                Output::Text(StringBuilder::with_capacity(rows, rows * 16), ty)
            }
        }
    }

    /// Appends one value; an error when the text column would pass what Arrow can hold.
    fn push(&mut self, value: KqlValue) -> std::result::Result<(), String> {
        match self {
            Output::Bool(b) => b.append_option(value.as_bool()),
            Output::Int(b) => b.append_option(value.as_long().and_then(|n| i32::try_from(n).ok())),
            Output::Long(b, ty) => b.append_option(match (ty, value) {
                (KqlType::DateTime, KqlValue::DateTime(t)) => {
                    Some(t).filter(|t| crate::kql::time::is_valid_datetime(*t))
                }
                (KqlType::Timespan, KqlValue::Timespan(t)) => Some(t),
                (KqlType::Long, value) => value.as_long(),
                _ => None,
            }),
            Output::Real(b) => b.append_option(value.as_real()),
            Output::Text(b, ty) => match (*ty, value) {
                (KqlType::Dynamic, KqlValue::Null) => b.append_null(),
                (KqlType::Dynamic, value) => return append_text(b, &value.to_json().to_string()),
                (KqlType::Guid, KqlValue::Null) => b.append_null(),
                // KQL strings have no null: a missing string is empty.
                (_, value) => return append_text(b, &value.to_text()),
            },
        }
        Ok(())
    }

    fn finish(self) -> ArrayRef {
        match self {
            Output::Bool(mut b) => Arc::new(b.finish()),
            Output::Int(mut b) => Arc::new(b.finish()),
            Output::Long(mut b, _) => Arc::new(b.finish()),
            Output::Real(mut b) => Arc::new(b.finish()),
            Output::Text(mut b, _) => Arc::new(b.finish()),
        }
    }
}
