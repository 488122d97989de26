//! Dynamic functions (arrays, property bags, sets, JSON): each a [`RowFunction`] with its KQL
//! page's examples as tests. Arrays may hold values of mixed kinds; a function given a value of
//! the wrong kind (not an array, not a bag) returns null unless its page says otherwise.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde_json::{Map, Value as Json};

use super::{KqlValue, Param, Returns, RowFunction};
use crate::kql::time;
use crate::results::KqlType;

/// A row function that is not volatile.
const fn function(
    name: &'static str,
    params: &'static [Param],
    required: usize,
    variadic: bool,
    returns: KqlType,
    eval: fn(&[KqlValue]) -> Result<KqlValue, String>,
) -> RowFunction {
    RowFunction {
        name,
        params,
        required,
        variadic,
        returns: Returns::Always(returns),
        eval,
        volatile: false,
    }
}

use KqlType::{Bool as B, Dynamic as D, Long as L, Real as R, String as S};
use Param::{Any, Dynamic, Integer, Text};

/// `extract_json(path, text[, typeof(T)])` under one of its two names: a string, or a T.
const fn extracting(name: &'static str) -> RowFunction {
    RowFunction::new(
        name,
        &[Text, Text, Param::Type],
        2,
        false,
        Returns::TypeArgument(2, KqlType::String),
        extract_json,
    )
}

/// The dynamic functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[
    function("array_concat", &[Dynamic], 1, true, D, array_concat),
    function(
        "array_iff",
        &[Dynamic, Dynamic, Dynamic],
        3,
        false,
        D,
        array_iff,
    ),
    function(
        "array_index_of",
        &[Dynamic, Any, Integer, Integer, Integer],
        2,
        false,
        L,
        array_index_of,
    ),
    function("array_reverse", &[Dynamic], 1, false, D, array_reverse),
    function("array_rotate_left", &[Dynamic, Integer], 2, false, D, |a| {
        array_rotate(a, 1)
    }),
    function(
        "array_rotate_right",
        &[Dynamic, Integer],
        2,
        false,
        D,
        |a| array_rotate(a, -1),
    ),
    function(
        "array_shift_left",
        &[Dynamic, Integer, Any],
        2,
        false,
        D,
        |a| array_shift(a, 1),
    ),
    function(
        "array_shift_right",
        &[Dynamic, Integer, Any],
        2,
        false,
        D,
        |a| array_shift(a, -1),
    ),
    function(
        "array_slice",
        &[Dynamic, Integer, Integer],
        3,
        false,
        D,
        array_slice,
    ),
    function("array_sort_asc", &[Dynamic, Any], 1, true, D, |a| {
        array_sort(a, "array_sort_asc", false)
    }),
    function("array_sort_desc", &[Dynamic, Any], 1, true, D, |a| {
        array_sort(a, "array_sort_desc", true)
    }),
    function("array_split", &[Dynamic, Any], 2, false, D, array_split),
    function("array_sum", &[Dynamic], 1, false, R, array_sum),
    function("bag_keys", &[Dynamic], 1, false, D, bag_keys),
    function("bag_merge", &[Dynamic, Dynamic], 2, true, D, bag_merge),
    function(
        "bag_remove_keys",
        &[Dynamic, Dynamic],
        2,
        false,
        D,
        bag_remove_keys,
    ),
    function(
        "bag_set_key",
        &[Dynamic, Text, Any],
        3,
        false,
        D,
        bag_set_key,
    ),
    function("bag_has_key", &[Dynamic, Text], 2, false, B, bag_has_key),
    function("bag_pack", &[Text, Any], 2, true, D, bag_pack),
    function("pack", &[Text, Any], 2, true, D, bag_pack),
    function("bag_zip", &[Dynamic, Dynamic], 2, false, D, bag_zip),
    function("zip", &[Dynamic, Dynamic], 2, true, D, zip),
    function(
        "set_difference",
        &[Dynamic, Dynamic],
        2,
        true,
        D,
        set_difference,
    ),
    function(
        "set_intersect",
        &[Dynamic, Dynamic],
        2,
        true,
        D,
        set_intersect,
    ),
    function("set_union", &[Dynamic, Dynamic], 2, true, D, set_union),
    // The local engine's hll sketch is the exact set of values (hll-aggregation-function.md
    // allows any accuracy): merging is a set union, the count its length.
    function("hll_merge", &[Dynamic, Dynamic], 2, true, D, set_union),
    function("dcount_hll", &[Dynamic], 1, false, L, |args| {
        Ok(args[0].as_array().map_or(
            KqlValue::Long(0),
            |items| KqlValue::Long(items.len() as i64),
        ))
    }),
    // Its tdigest is the exact list of [value, weight] pairs: merging concatenates, and a
    // percentile is the weighted nearest rank (tdigest-aggregation-function.md).
    function("tdigest_merge", &[Dynamic, Dynamic], 2, true, D, |args| {
        let mut all = Vec::new();
        for arg in args {
            if let Some(items) = arg.as_array() {
                all.extend(items.iter().cloned());
            }
        }
        Ok(KqlValue::Dynamic(Json::Array(all)))
    }),
    // Its third argument is `typeof(T)`, the result type (percentile-tdigest-function.md).
    RowFunction {
        name: "percentile_tdigest",
        params: &[Dynamic, Param::Number, Param::Type],
        required: 2,
        variadic: false,
        returns: Returns::TypeArgument(2, R),
        eval: |args| {
            Ok(weighted_percentiles(&args[0], &args[1..2])
                .into_iter()
                .next()
                .unwrap_or(KqlValue::Null))
        },
        volatile: false,
    },
    function(
        "percentiles_array_tdigest",
        &[Dynamic, Param::Number],
        2,
        true,
        D,
        |args| {
            let values = weighted_percentiles(&args[0], &args[1..]);
            Ok(KqlValue::Dynamic(Json::Array(
                values.iter().map(KqlValue::to_json).collect(),
            )))
        },
    ),
    function(
        "set_has_element",
        &[Dynamic, Any],
        2,
        false,
        B,
        set_has_element,
    ),
    function(
        "jaccard_index",
        &[Dynamic, Dynamic],
        2,
        false,
        R,
        jaccard_index,
    ),
    function("range", &[Any, Any, Any], 2, false, D, range),
    extracting("extract_json"),
    extracting("extractjson"),
    function("dynamic_to_json", &[Dynamic], 1, false, S, dynamic_to_json),
];

/// The most arrays `zip()` takes (zip-function.md).
const ZIP_MAX_ARRAYS: usize = 16;

fn null() -> Result<KqlValue, String> {
    Ok(KqlValue::Null)
}

fn array_result(items: Vec<Json>) -> Result<KqlValue, String> {
    Ok(KqlValue::Dynamic(Json::Array(items)))
}

/// A whole-number argument; `None` when it is null.
fn whole(value: &KqlValue) -> Option<i64> {
    value.as_long()
}

/// `len` as i64 (an array in memory never has more than i64::MAX items).
fn signed(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

/// An index already clamped to `0..=len`, as usize.
fn unsigned(index: i64) -> usize {
    usize::try_from(index.max(0)).unwrap_or(usize::MAX)
}

/// `array_concat(arr, …)`: the arrays' items in order (array-concat-function.md); an argument
/// that is not an array makes the result null.
fn array_concat(args: &[KqlValue]) -> Result<KqlValue, String> {
    let mut out = Vec::new();
    for arg in args {
        let Some(items) = arg.as_array() else {
            return null();
        };
        out.extend(items.iter().cloned());
    }
    array_result(out)
}

/// `array_iff(conditions, when_true, when_false)`: element-wise iff (array-iff-function.md).
/// Numeric conditions are true when not 0; other conditions give null; a shorter value array
/// gives null for the missing items; a scalar value is used for every item.
fn array_iff(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(conditions) = args[0].as_array() else {
        return null();
    };
    let pick = |value: &KqlValue, index: usize| -> Json {
        match value {
            KqlValue::Dynamic(Json::Array(items)) => {
                items.get(index).cloned().unwrap_or(Json::Null)
            }
            scalar => scalar.to_json(),
        }
    };
    let out = conditions
        .iter()
        .enumerate()
        .map(|(index, condition)| {
            let truth = match condition {
                Json::Bool(b) => Some(*b),
                Json::Number(n) => n.as_f64().map(|f| f != 0.0),
                _ => None,
            };
            match truth {
                Some(true) => pick(&args[1], index),
                Some(false) => pick(&args[2], index),
                None => Json::Null,
            }
        })
        .collect();
    array_result(out)
}

/// Whether two numbers are equal: as integers when both are, otherwise as reals.
fn numbers_equal(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(a), Some(b)) => a == b,
        _ => matches!((a.as_f64(), b.as_f64()), (Some(a), Some(b)) if a == b),
    }
}

/// Whether an array item is the scalar `value`: same kind and equal (numbers numerically;
/// datetimes and timespans, which dynamic values hold as text, by their ticks).
fn same_value(item: &Json, value: &KqlValue) -> bool {
    match (item, value) {
        (_, KqlValue::Null) => false,
        (Json::String(s), KqlValue::String(v)) => s == v,
        (Json::Number(n), KqlValue::Long(v)) => numbers_equal(n, &serde_json::Number::from(*v)),
        (Json::Number(n), KqlValue::Real(v)) => n.as_f64() == Some(*v),
        (Json::Bool(b), KqlValue::Bool(v)) => b == v,
        (Json::String(s), KqlValue::DateTime(t)) => time::parse_datetime(s).ok() == Some(*t),
        (Json::String(s), KqlValue::Timespan(t)) => time::parse_timespan(s).ok() == Some(*t),
        (item, KqlValue::Dynamic(v)) => same_json(item, v),
        _ => false,
    }
}

/// JSON equality with numbers compared numerically.
fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(a), Json::Number(b)) => numbers_equal(a, b),
        _ => a == b,
    }
}

/// `array_index_of(array, value[, start[, length[, occurrence]]])`
/// (array-index-of-function.md): the index of the `occurrence`-th item equal to `value` among
/// the `length` items from `start` (negative: from the end), -1 when there is none; null for
/// `length` < -1 or `occurrence` < 1, or an argument that is not an array.
fn array_index_of(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return null();
    };
    let value = &args[1];
    if value.is_null() {
        return null();
    }
    let optional = |index: usize, default: i64| match args.get(index) {
        None => Some(default),
        Some(arg) => whole(arg),
    };
    let (Some(start), Some(length), Some(occurrence)) =
        (optional(2, 0), optional(3, -1), optional(4, 1))
    else {
        return null();
    };
    if length < -1 || occurrence < 1 {
        return null();
    }
    let len = signed(items.len());
    let start = if start < 0 {
        len.saturating_add(start).max(0)
    } else {
        start.min(len)
    };
    let end = if length == -1 {
        len
    } else {
        start.saturating_add(length).min(len)
    };
    let mut seen = 0;
    for (index, item) in items
        .iter()
        .enumerate()
        .take(unsigned(end))
        .skip(unsigned(start))
    {
        if same_value(item, value) {
            seen += 1;
            if seen == occurrence {
                return Ok(KqlValue::Long(signed(index)));
            }
        }
    }
    Ok(KqlValue::Long(-1))
}

/// `array_reverse(array)` (array-reverse-function.md).
fn array_reverse(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return null();
    };
    array_result(items.iter().rev().cloned().collect())
}

/// `array_rotate_left/right(array, count)` (array-rotate-left-function.md,
/// array-rotate-right-function.md); `direction` 1 is left. A negative count rotates the other
/// way.
fn array_rotate(args: &[KqlValue], direction: i64) -> Result<KqlValue, String> {
    let (Some(items), Some(count)) = (args[0].as_array(), whole(&args[1])) else {
        return null();
    };
    let mut out = items.clone();
    if !out.is_empty() {
        let len = signed(out.len());
        let left = (count % len) * direction;
        out.rotate_left(unsigned(left.rem_euclid(len)));
    }
    array_result(out)
}

/// `array_shift_left/right(array, count[, default])` (array-shift-left-function.md,
/// array-shift-right-function.md); `direction` 1 is left. Vacated places take `default`, or by
/// default "" in an array of strings and null otherwise (as the page says, by the items' type).
fn array_shift(args: &[KqlValue], direction: i64) -> Result<KqlValue, String> {
    let (Some(items), Some(count)) = (args[0].as_array(), whole(&args[1])) else {
        return null();
    };
    let fill = match args.get(2) {
        Some(value) => value.to_json(),
        None if !items.is_empty() && items.iter().all(Json::is_string) => Json::from(""),
        None => Json::Null,
    };
    let len = signed(items.len());
    // Positive: that many items leave at the left.
    let left = count.saturating_mul(direction).clamp(-len, len);
    let shift = unsigned(left.abs());
    let kept = items.len() - shift;
    let mut out = Vec::with_capacity(items.len());
    if left >= 0 {
        out.extend(items[shift..].iter().cloned());
        out.extend(std::iter::repeat_n(fill, shift));
    } else {
        out.extend(std::iter::repeat_n(fill, shift));
        out.extend(items[..kept].iter().cloned());
    }
    array_result(out)
}

/// `array_slice(array, start, end)` (array-slice-function.md): items `start..=end`, negative
/// indices counting from the end; indices out of bounds are ignored.
fn array_slice(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(items), Some(start), Some(end)) =
        (args[0].as_array(), whole(&args[1]), whole(&args[2]))
    else {
        return null();
    };
    let len = signed(items.len());
    let resolve = |index: i64| {
        if index < 0 {
            len.saturating_add(index)
        } else {
            index
        }
    };
    let start = resolve(start).max(0);
    let end = resolve(end).saturating_add(1).min(len);
    if start >= end {
        return array_result(Vec::new());
    }
    array_result(items[unsigned(start)..unsigned(end)].to_vec())
}

/// The sort order of array items of mixed kinds (array-sort-asc-function.md): numbers, then
/// strings, then everything else (kept in their order); nulls are placed apart.
fn sort_class(item: &Json) -> u8 {
    match item {
        Json::Number(_) => 0,
        Json::String(_) => 1,
        _ => 2,
    }
}

fn compare_items(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => {
                let x = x.as_f64().unwrap_or(f64::NAN);
                let y = y.as_f64().unwrap_or(f64::NAN);
                x.total_cmp(&y)
            }
        },
        (Json::String(x), Json::String(y)) => x.cmp(y),
        _ => sort_class(a).cmp(&sort_class(b)),
    }
}

/// `array_sort_asc/desc(array[, nulls_last])` (array-sort-asc-function.md,
/// array-sort-desc-function.md), the form that returns one array: nulls last unless
/// `nulls_last` is false. The form with several arrays returns one column per array, which a
/// row function cannot; it is refused.
fn array_sort(args: &[KqlValue], name: &str, descending: bool) -> Result<KqlValue, String> {
    let several = || {
        Err(format!(
            "{name}() of several arrays (one result column per array) is not supported by the \
             local engine yet"
        ))
    };
    if args.len() > 2 {
        return several();
    }
    let nulls_last = match args.get(1) {
        None | Some(KqlValue::Null) => true,
        Some(KqlValue::Bool(b)) => *b,
        Some(_) => return several(),
    };
    let Some(items) = args[0].as_array() else {
        return null();
    };
    let (nulls, mut values): (Vec<&Json>, Vec<&Json>) = items.iter().partition(|i| i.is_null());
    values.sort_by(|a, b| {
        let order = compare_items(a, b);
        if descending { order.reverse() } else { order }
    });
    let values = values.into_iter().cloned();
    let nulls = nulls.into_iter().cloned();
    let out = if nulls_last {
        values.chain(nulls).collect()
    } else {
        nulls.chain(values).collect()
    };
    array_result(out)
}

/// `array_sort_asc/desc(array1, …, arrayN [, nulls_last])` with several arrays
/// (array-sort-asc-function.md): the first array sorted (nulls last unless `nulls_last` is
/// false; equal elements keep their order), each other array reordered to match, null for an
/// array whose length differs from the first's (and every array null when the first is not an
/// array). Kusto returns one column per array; the local engine gives them as one dynamic array
/// of the N results, which the planner spreads over N columns or indexes (`…[1]`).
pub(crate) fn array_sort_several(args: &[KqlValue], descending: bool) -> KqlValue {
    let (arrays, nulls_last) = match args.split_last() {
        Some((KqlValue::Bool(b), rest)) => (rest, *b),
        _ => (args, true),
    };
    let Some(first) = arrays.first().and_then(KqlValue::as_array) else {
        return KqlValue::Dynamic(Json::Array(vec![Json::Null; arrays.len()]));
    };
    let mut order: Vec<usize> = (0..first.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&first[a], &first[b]);
        match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) if nulls_last => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, true) if nulls_last => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => {
                let order = compare_items(x, y);
                if descending { order.reverse() } else { order }
            }
        }
    });
    let sorted = arrays
        .iter()
        .map(|array| match array.as_array() {
            Some(items) if items.len() == first.len() => {
                Json::Array(order.iter().map(|&i| items[i].clone()).collect())
            }
            _ => Json::Null,
        })
        .collect();
    KqlValue::Dynamic(Json::Array(sorted))
}

/// `array_split(array, index)` (array-split-function.md): N+1 arrays split at the index or
/// array of indices; negative indices count from the end.
fn array_split(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return null();
    };
    let indices: Vec<i64> = match &args[1] {
        KqlValue::Dynamic(Json::Array(list)) => {
            let mut indices = Vec::with_capacity(list.len());
            for index in list {
                match index.as_i64() {
                    Some(index) => indices.push(index),
                    None => return null(),
                }
            }
            indices
        }
        value => match whole(value) {
            Some(index) if !matches!(value, KqlValue::Real(_) | KqlValue::Bool(_)) => vec![index],
            _ => return null(),
        },
    };
    let len = signed(items.len());
    let mut out = Vec::with_capacity(indices.len() + 1);
    let mut from = 0;
    for index in indices {
        let index = if index < 0 {
            len.saturating_add(index)
        } else {
            index
        };
        let to = index.clamp(from, len);
        out.push(Json::Array(items[unsigned(from)..unsigned(to)].to_vec()));
        from = to;
    }
    out.push(Json::Array(items[unsigned(from)..].to_vec()));
    array_result(out)
}

/// `array_sum(array)` (array-sum-function.md): a real; null when an item is not a number.
fn array_sum(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return null();
    };
    let mut sum = 0.0;
    for item in items {
        match item.as_f64() {
            Some(value) => sum += value,
            None => return null(),
        }
    }
    Ok(KqlValue::Real(sum))
}

/// `bag_keys(bag)` (bag-keys-function.md): the root keys; null for anything but a bag.
fn bag_keys(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(bag) = args[0].as_bag() else {
        return null();
    };
    array_result(bag.keys().map(|k| Json::from(k.as_str())).collect())
}

/// `bag_merge(bag1, bag2, …)` (bag-merge-function.md): the leftmost bag's value wins for a key
/// in several. Arguments that are not bags add nothing.
fn bag_merge(args: &[KqlValue]) -> Result<KqlValue, String> {
    let mut out = Map::new();
    for bag in args.iter().filter_map(KqlValue::as_bag) {
        for (key, value) in bag {
            if !out.contains_key(key) {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(KqlValue::Dynamic(Json::Object(out)))
}

/// One step of a JSONPath (jsonpath.md): a property or an array index.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The steps of a JSONPath in the subset Kusto supports (jsonpath.md): `$`, `.name`,
/// `['name']`, `["name"]`, `[n]`. Wildcards, recursion, unions, slices and filters are refused.
fn parse_json_path(path: &str) -> Result<Vec<Step>, String> {
    let unsupported =
        || format!("the JSONPath '{path}' is not supported (use $, .name, ['name'] and [n])");
    let Some(mut rest) = path.trim().strip_prefix('$') else {
        return Err(unsupported());
    };
    let mut steps = Vec::new();
    while let Some(c) = rest.chars().next() {
        match c {
            '.' => {
                let name_end = rest[1..].find(['.', '[']).map_or(rest.len(), |at| at + 1);
                let name = &rest[1..name_end];
                if name.is_empty() || name == "*" {
                    return Err(unsupported());
                }
                steps.push(Step::Key(name.to_string()));
                rest = &rest[name_end..];
            }
            '[' => {
                let inner = &rest[1..];
                if let Some(quote) = inner.chars().next().filter(|q| *q == '\'' || *q == '"') {
                    let body = &inner[1..];
                    let close = body.find(quote).ok_or_else(unsupported)?;
                    let after = &body[close + 1..];
                    let Some(after) = after.strip_prefix(']') else {
                        return Err(unsupported());
                    };
                    steps.push(Step::Key(body[..close].to_string()));
                    rest = after;
                } else {
                    let close = inner.find(']').ok_or_else(unsupported)?;
                    let digits = inner[..close].trim();
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(unsupported());
                    }
                    let index = digits.parse::<usize>().unwrap_or(usize::MAX);
                    steps.push(Step::Index(index));
                    rest = &inner[close + 1..];
                }
            }
            _ => return Err(unsupported()),
        }
    }
    Ok(steps)
}

/// A key of the bag functions: a JSONPath of properties when it starts with `$`, otherwise a
/// root key. `None` for a path Kusto does not take there (array indexing, the root itself).
fn bag_path(key: &str) -> Option<Vec<String>> {
    if !key.trim_start().starts_with('$') {
        return Some(vec![key.to_string()]);
    }
    let steps = parse_json_path(key).ok()?;
    if steps.is_empty() {
        return None;
    }
    steps
        .into_iter()
        .map(|step| match step {
            Step::Key(key) => Some(key),
            Step::Index(_) => None,
        })
        .collect()
}

/// The value at `steps` inside `json`.
fn navigate<'a>(json: &'a Json, steps: &[Step]) -> Option<&'a Json> {
    steps
        .iter()
        .try_fold(json, |node, step| match (step, node) {
            (Step::Key(key), Json::Object(bag)) => bag.get(key),
            (Step::Index(index), Json::Array(items)) => items.get(*index),
            _ => None,
        })
}

/// `bag_has_key(bag, key)` (bag-has-key-function.md): whether the key (or JSONPath of
/// properties) exists; null for anything but a bag.
fn bag_has_key(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(bag) = args[0].as_bag() else {
        return null();
    };
    let Some(path) = bag_path(&args[1].to_text()) else {
        return Ok(KqlValue::Bool(false));
    };
    let mut node = bag;
    for (depth, key) in path.iter().enumerate() {
        match node.get(key) {
            None => return Ok(KqlValue::Bool(false)),
            Some(_) if depth + 1 == path.len() => return Ok(KqlValue::Bool(true)),
            Some(Json::Object(inner)) => node = inner,
            Some(_) => return Ok(KqlValue::Bool(false)),
        }
    }
    Ok(KqlValue::Bool(false))
}

/// Removes the property at `path` from `bag`, if it is there.
fn remove_path(bag: &mut Map<String, Json>, path: &[String]) {
    match path {
        [] => {}
        [key] => {
            bag.shift_remove(key);
        }
        [key, rest @ ..] => {
            if let Some(Json::Object(inner)) = bag.get_mut(key) {
                remove_path(inner, rest);
            }
        }
    }
}

/// `bag_remove_keys(bag, keys)` (bag-remove-keys-function.md): the bag without the keys (root
/// keys or JSONPaths of properties); null for anything but a bag or an array of keys.
fn bag_remove_keys(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(bag), Some(keys)) = (args[0].as_bag(), args[1].as_array()) else {
        return null();
    };
    let mut out = bag.clone();
    for key in keys.iter().filter_map(Json::as_str) {
        if let Some(path) = bag_path(key) {
            remove_path(&mut out, &path);
        }
    }
    Ok(KqlValue::Dynamic(Json::Object(out)))
}

/// Sets `path` in `bag` to `value`, adding bags on the way; false when a step on the way holds
/// something other than a bag.
fn set_path(bag: &mut Map<String, Json>, path: &[String], value: Json) -> bool {
    match path {
        [] => false,
        [key] => {
            bag.insert(key.clone(), value);
            true
        }
        [key, rest @ ..] => {
            let next = bag
                .entry(key.clone())
                .or_insert_with(|| Json::Object(Map::new()));
            match next {
                Json::Object(inner) => set_path(inner, rest, value),
                _ => false,
            }
        }
    }
}

/// `bag_set_key(bag, key, value)` (bag-set-key-function.md): the bag with the key (root key or
/// JSONPath of properties) set, replacing any value; null for anything but a bag.
fn bag_set_key(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(bag) = args[0].as_bag() else {
        return null();
    };
    let Some(path) = bag_path(&args[1].to_text()) else {
        return null();
    };
    let mut out = bag.clone();
    if !set_path(&mut out, &path, args[2].to_json()) {
        return null();
    }
    Ok(KqlValue::Dynamic(Json::Object(out)))
}

/// `bag_pack(key1, value1, key2, value2, …)` and its alias `pack` (pack-function.md): a bag of
/// the pairs, in order (a later pair with the same key replaces the value).
fn bag_pack(args: &[KqlValue]) -> Result<KqlValue, String> {
    if !args.len().is_multiple_of(2) {
        return Err(
            "bag_pack() takes pairs of keys and values: an even number of arguments".into(),
        );
    }
    let mut out = Map::new();
    for pair in args.chunks_exact(2) {
        out.insert(pair[0].to_text(), pair[1].to_json());
    }
    Ok(KqlValue::Dynamic(Json::Object(out)))
}

/// `bag_zip(keys, values)` (bag-zip.md): keys that are not strings are skipped, missing values
/// are null; keys not an array give null, values not an array give null values.
fn bag_zip(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(keys) = args[0].as_array() else {
        return null();
    };
    let values = args[1].as_array();
    let mut out = Map::new();
    for (index, key) in keys.iter().enumerate() {
        if let Json::String(key) = key {
            let value = values
                .and_then(|values| values.get(index))
                .cloned()
                .unwrap_or(Json::Null);
            out.insert(key.clone(), value);
        }
    }
    Ok(KqlValue::Dynamic(Json::Object(out)))
}

/// `zip(array1, array2, …)` (zip-function.md): an array of arrays, one per index of the longest
/// array, null where an array is shorter; 2 to 16 arrays.
fn zip(args: &[KqlValue]) -> Result<KqlValue, String> {
    if args.len() > ZIP_MAX_ARRAYS {
        return Err(format!("zip() takes 2 to {ZIP_MAX_ARRAYS} arrays"));
    }
    let Some(arrays) = args
        .iter()
        .map(KqlValue::as_array)
        .collect::<Option<Vec<_>>>()
    else {
        return null();
    };
    let longest = arrays.iter().map(|a| a.len()).max().unwrap_or(0);
    let out = (0..longest)
        .map(|index| {
            Json::Array(
                arrays
                    .iter()
                    .map(|a| a.get(index).cloned().unwrap_or(Json::Null))
                    .collect(),
            )
        })
        .collect();
    array_result(out)
}

/// The distinct items of `items` in first-seen order, with their canonical text as the key
/// (so numbers, strings and bags compare by value).
fn distinct<'a>(items: impl Iterator<Item = &'a Json>, seen: &mut HashSet<String>) -> Vec<Json> {
    items
        .filter(|item| seen.insert(canonical(item)))
        .cloned()
        .collect()
}

/// The arrays of a set function; `None` when an argument is not an array.
fn arrays(args: &[KqlValue]) -> Option<Vec<&Vec<Json>>> {
    args.iter().map(KqlValue::as_array).collect()
}

/// `set_union(set1, set2, …)` (set-union-function.md): distinct items of all, in first-seen
/// order.
fn set_union(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(sets) = arrays(args) else {
        return null();
    };
    let mut seen = HashSet::new();
    array_result(distinct(sets.into_iter().flatten(), &mut seen))
}

/// `set_intersect(set1, set2, …)` (set-intersect-function.md): distinct items in every array.
fn set_intersect(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(sets) = arrays(args) else {
        return null();
    };
    let others: Vec<HashSet<String>> = sets[1..]
        .iter()
        .map(|set| set.iter().map(canonical).collect())
        .collect();
    let mut seen = HashSet::new();
    let items = sets[0].iter().filter(|item| {
        let key = canonical(item);
        others.iter().all(|other| other.contains(&key))
    });
    array_result(distinct(items, &mut seen))
}

/// `set_difference(set1, set2, …)` (set-difference-function.md): distinct items of the first
/// array that are in none of the others.
fn set_difference(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(sets) = arrays(args) else {
        return null();
    };
    let mut seen: HashSet<String> = sets[1..]
        .iter()
        .flat_map(|set| set.iter().map(canonical))
        .collect();
    array_result(distinct(sets[0].iter(), &mut seen))
}

/// `set_has_element(set, value)` (set-has-element-function.md).
fn set_has_element(args: &[KqlValue]) -> Result<KqlValue, String> {
    let Some(items) = args[0].as_array() else {
        return null();
    };
    Ok(KqlValue::Bool(
        items.iter().any(|item| same_value(item, &args[1])),
    ))
}

/// `jaccard_index(set1, set2)` (jaccard-index-function.md): |set1 ∩ set2| / |set1 ∪ set2| over
/// distinct items; null when both are empty (the ratio is undefined).
fn jaccard_index(args: &[KqlValue]) -> Result<KqlValue, String> {
    let (Some(a), Some(b)) = (args[0].as_array(), args[1].as_array()) else {
        return null();
    };
    let a: HashSet<String> = a.iter().map(canonical).collect();
    let b: HashSet<String> = b.iter().map(canonical).collect();
    let union = a.union(&b).count();
    if union == 0 {
        return null();
    }
    let common = a.intersection(&b).count();
    Ok(KqlValue::Real(common as f64 / union as f64))
}

/// `extract_json(path, json)` and its alias `extractjson` (extract-json-function.md), the form
/// without a type: the text of the element at the JSONPath (strings without quotes, other
/// values as JSON), "" when the text is not JSON or the element is missing or null.
/// Weighted nearest-rank percentiles of a tdigest's [value, weight] pairs: the least value
/// whose running weight reaches p% of the total; null for an empty digest.
fn weighted_percentiles(digest: &KqlValue, ps: &[KqlValue]) -> Vec<KqlValue> {
    let mut pairs: Vec<(f64, f64)> = digest
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|pair| {
                    let pair = pair.as_array()?;
                    let value = pair.first()?.as_f64()?;
                    let weight = pair.get(1).and_then(Json::as_f64).unwrap_or(1.0);
                    (weight > 0.0 && value.is_finite()).then_some((value, weight))
                })
                .collect()
        })
        .unwrap_or_default();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = pairs.iter().map(|(_, w)| w).sum();
    ps.iter()
        .map(|p| {
            let Some(p) = p.as_real() else {
                return KqlValue::Null;
            };
            if pairs.is_empty() {
                return KqlValue::Null;
            }
            let target = (p / 100.0 * total).max(f64::MIN_POSITIVE);
            let mut running = 0.0;
            for (value, weight) in &pairs {
                running += weight;
                if running >= target {
                    return KqlValue::Real(*value);
                }
            }
            KqlValue::Real(pairs[pairs.len() - 1].0)
        })
        .collect()
}

/// The most elements `range()` gives (range-function.md).
const RANGE_MAX: usize = 1 << 20;

/// `range(start, stop[, step])` (range-function.md): start, start + step, … while not past
/// stop, at most 2^20 elements. Numbers step by 1, datetimes and timespans by 1h unless told;
/// a step of 0, or one that leads away from stop, gives only what it reaches.
fn range(args: &[KqlValue]) -> Result<KqlValue, String> {
    use crate::kql::time::TICKS_PER_HOUR;
    let step = args.get(2);
    let items: Vec<Json> = match (&args[0], &args[1]) {
        (KqlValue::DateTime(a), KqlValue::DateTime(b))
        | (KqlValue::Timespan(a), KqlValue::Timespan(b)) => {
            let datetime = matches!(args[0], KqlValue::DateTime(_));
            let Some(step) = step.map_or(Some(TICKS_PER_HOUR), KqlValue::as_timespan) else {
                return Ok(KqlValue::Null);
            };
            ticks_range(*a, *b, step)
                .into_iter()
                .map(|t| {
                    let value = if datetime {
                        KqlValue::DateTime(t)
                    } else {
                        KqlValue::Timespan(t)
                    };
                    value.to_json()
                })
                .collect()
        }
        (KqlValue::Long(a), KqlValue::Long(b))
            if step.is_none_or(|s| matches!(s, KqlValue::Long(_))) =>
        {
            let step = step.and_then(KqlValue::as_long).unwrap_or(1);
            ticks_range(*a, *b, step)
                .into_iter()
                .map(Json::from)
                .collect()
        }
        (a, b) => {
            let (Some(a), Some(b)) = (a.as_real(), b.as_real()) else {
                return Ok(KqlValue::Null);
            };
            let Some(step) = step.map_or(Some(1.0), KqlValue::as_real) else {
                return Ok(KqlValue::Null);
            };
            let mut out = Vec::new();
            let mut at = 0usize;
            while out.len() < RANGE_MAX {
                let value = a + step * at as f64;
                if !value.is_finite() || (step > 0.0 && value > b) || (step < 0.0 && value < b) {
                    break;
                }
                out.push(KqlValue::Real(value).to_json());
                if step == 0.0 {
                    break;
                }
                at += 1;
            }
            out
        }
    };
    Ok(KqlValue::Dynamic(Json::Array(items)))
}

/// Whole-number steps from `a` while not past `b` (at most [`RANGE_MAX`]).
fn ticks_range(a: i64, b: i64, step: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut value = a;
    while out.len() < RANGE_MAX && ((step >= 0 && value <= b) || (step < 0 && value >= b)) {
        out.push(value);
        match value.checked_add(step) {
            Some(next) if step != 0 => value = next,
            _ => break,
        }
    }
    out
}

/// `extract_json(path, text[, typeof(T)])`: the element's text, or with `typeof(T)` the
/// element as a T (null when it is not one; extract-json-function.md).
fn extract_json(args: &[KqlValue]) -> Result<KqlValue, String> {
    let steps = parse_json_path(&args[0].to_text())?;
    let parsed;
    let json = match &args[1] {
        // A dynamic value is already parsed JSON.
        KqlValue::Dynamic(json) if !json.is_string() => json,
        value => match serde_json::from_str::<Json>(&value.to_text()) {
            Ok(json) => {
                parsed = json;
                &parsed
            }
            Err(_) => return Ok(KqlValue::String(String::new())),
        },
    };
    let element = navigate(json, &steps);
    let Some(type_name) = args.get(2).map(KqlValue::to_text) else {
        return Ok(KqlValue::String(element_text(element)));
    };
    Ok(element_as(element, &type_name))
}

/// A JSON element as the KQL type named `type_name`; null when it is not a value of it.
pub(crate) fn element_as(element: Option<&Json>, type_name: &str) -> KqlValue {
    let Some(element) = element.filter(|e| !e.is_null()) else {
        return KqlValue::Null;
    };
    let text = element_text(Some(element));
    match KqlType::from_kql_name(type_name) {
        Some(KqlType::Dynamic) => KqlValue::dynamic(element.clone()),
        Some(KqlType::String | KqlType::Guid) | None => KqlValue::String(text),
        Some(KqlType::Bool) => match element {
            Json::Bool(b) => KqlValue::Bool(*b),
            _ => match text.to_ascii_lowercase().as_str() {
                "true" => KqlValue::Bool(true),
                "false" => KqlValue::Bool(false),
                _ => KqlValue::Null,
            },
        },
        Some(KqlType::Int | KqlType::Long) => {
            text.trim().parse().map_or(KqlValue::Null, KqlValue::Long)
        }
        Some(KqlType::Real | KqlType::Decimal) => {
            text.trim().parse().map_or(KqlValue::Null, KqlValue::Real)
        }
        Some(KqlType::DateTime) => {
            crate::kql::time::parse_datetime(text.trim()).map_or(KqlValue::Null, KqlValue::DateTime)
        }
        Some(KqlType::Timespan) => {
            crate::kql::time::parse_timespan(text.trim()).map_or(KqlValue::Null, KqlValue::Timespan)
        }
    }
}

fn element_text(element: Option<&Json>) -> String {
    match element {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The canonical text of a dynamic value (dynamic-to-json-function.md): compact JSON with every
/// bag's keys sorted.
fn canonical(json: &Json) -> String {
    let mut out = String::new();
    write_canonical(json, &mut out);
    out
}

fn write_canonical(json: &Json, out: &mut String) {
    match json {
        Json::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Json::Object(bag) => {
            let mut pairs: Vec<(&String, &Json)> = bag.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (index, (key, value)) in pairs.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Json::from(key.as_str()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `dynamic_to_json(value)` (dynamic-to-json-function.md): a dynamic value's canonical JSON
/// text; any other scalar's `tostring()`.
fn dynamic_to_json(args: &[KqlValue]) -> Result<KqlValue, String> {
    Ok(KqlValue::String(match &args[0] {
        KqlValue::Dynamic(json) => canonical(json),
        scalar => scalar.to_text(),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call, s};
    use super::*;
    use serde_json::json;

    fn d(json: Json) -> KqlValue {
        KqlValue::dynamic(json)
    }

    fn long(n: i64) -> KqlValue {
        KqlValue::Long(n)
    }

    #[test]
    fn array_concat_page() {
        for x in 1..=3 {
            let a1 = d(json!([x, x * 2, x * 4]));
            let a2 = d(json!([x, x * 2]));
            assert_eq!(
                call("array_concat", &[a1, a2]),
                d(json!([x, x * 2, x * 4, x, x * 2]))
            );
        }
        assert_eq!(
            call("array_concat", &[d(json!([1])), KqlValue::Null]),
            KqlValue::Null
        );
        assert_eq!(
            call("array_concat", &[d(json!([1])), s("a")]),
            KqlValue::Null
        );
    }

    #[test]
    fn array_iff_page() {
        let cond = d(json!([true, false, true]));
        assert_eq!(
            call(
                "array_iff",
                &[cond, d(json!([1, 2, 3])), d(json!([4, 5, 6]))]
            ),
            d(json!([1, 5, 3]))
        );
        assert_eq!(
            call("array_iff", &[d(json!([1, 0, 50])), s("yes"), s("no")]),
            d(json!(["yes", "no", "yes"]))
        );
        assert_eq!(
            call(
                "array_iff",
                &[
                    d(json!(["some string value", "2022-01-01", null])),
                    long(1),
                    long(0)
                ]
            ),
            d(json!([null, null, null]))
        );
        assert_eq!(
            call(
                "array_iff",
                &[
                    d(json!([true, true, true])),
                    d(json!([1, 2])),
                    d(json!([3, 4]))
                ]
            ),
            d(json!([1, 2, null]))
        );
        assert_eq!(
            call("array_iff", &[s("x"), long(1), long(2)]),
            KqlValue::Null
        );
    }

    #[test]
    fn array_index_of_page() {
        let arr = d(json!(["this", "is", "an", "example", "an", "example"]));
        let at = |args: &[KqlValue]| {
            let mut all = vec![arr.clone()];
            all.extend_from_slice(args);
            call("array_index_of", &all)
        };
        assert_eq!(at(&[s("an")]), long(2));
        assert_eq!(at(&[s("example"), long(1), long(3)]), long(3));
        assert_eq!(at(&[s("example"), long(1), long(2)]), long(-1));
        assert_eq!(at(&[s("is"), long(2), long(4)]), long(-1));
        assert_eq!(at(&[s("example"), long(2), long(-1)]), long(3));
        assert_eq!(at(&[s("an"), long(1), long(-1), long(2)]), long(4));
        assert_eq!(at(&[s("an"), long(1), long(-1), long(3)]), long(-1));
        assert_eq!(at(&[s("an"), long(-3)]), long(4));
        assert_eq!(at(&[s("is"), long(-4)]), long(-1));
        // Irrelevant inputs give null.
        assert_eq!(at(&[s("an"), long(0), long(-2)]), KqlValue::Null);
        assert_eq!(at(&[s("an"), long(0), long(-1), long(-1)]), KqlValue::Null);
        // Bounds far outside the array.
        assert_eq!(at(&[s("an"), long(i64::MIN)]), long(2));
        assert_eq!(at(&[s("an"), long(i64::MAX), long(i64::MAX)]), long(-1));
        // Kinds must agree; numbers compare numerically.
        let nums = d(json!([1, "2", 3.0, true]));
        assert_eq!(call("array_index_of", &[nums.clone(), long(2)]), long(-1));
        assert_eq!(call("array_index_of", &[nums.clone(), long(3)]), long(2));
        assert_eq!(call("array_index_of", &[nums.clone(), s("2")]), long(1));
        assert_eq!(
            call("array_index_of", &[nums, KqlValue::Bool(true)]),
            long(3)
        );
        let dates = d(json!(["2019-07-15T00:00:00.0000000Z"]));
        let ticks = crate::kql::time::parse_datetime("2019-07-15").unwrap();
        assert_eq!(
            call("array_index_of", &[dates, KqlValue::DateTime(ticks)]),
            long(0)
        );
        assert_eq!(call("array_index_of", &[s("x"), s("x")]), KqlValue::Null);
    }

    #[test]
    fn array_reverse_rotate_shift_pages() {
        assert_eq!(
            call(
                "array_reverse",
                &[d(json!(["this", "is", "an", "example"]))]
            ),
            d(json!(["example", "an", "is", "this"]))
        );
        let arr = d(json!([1, 2, 3, 4, 5]));
        let run = |name: &str, args: &[KqlValue]| {
            let mut all = vec![arr.clone()];
            all.extend_from_slice(args);
            call(name, &all)
        };
        assert_eq!(
            run("array_rotate_left", &[long(2)]),
            d(json!([3, 4, 5, 1, 2]))
        );
        assert_eq!(
            run("array_rotate_left", &[long(-2)]),
            d(json!([4, 5, 1, 2, 3]))
        );
        assert_eq!(
            run("array_rotate_right", &[long(2)]),
            d(json!([4, 5, 1, 2, 3]))
        );
        assert_eq!(
            run("array_rotate_right", &[long(-2)]),
            d(json!([3, 4, 5, 1, 2]))
        );
        assert_eq!(
            run("array_rotate_left", &[long(7)]),
            d(json!([3, 4, 5, 1, 2]))
        );
        assert_eq!(
            run("array_rotate_left", &[long(i64::MIN)]),
            run("array_rotate_left", &[long(i64::MIN % 5)])
        );
        assert_eq!(
            call("array_rotate_left", &[d(json!([])), long(3)]),
            d(json!([]))
        );
        assert_eq!(
            run("array_shift_left", &[long(2)]),
            d(json!([3, 4, 5, null, null]))
        );
        assert_eq!(
            run("array_shift_left", &[long(2), long(-1)]),
            d(json!([3, 4, 5, -1, -1]))
        );
        assert_eq!(
            run("array_shift_left", &[long(-2), long(-1)]),
            d(json!([-1, -1, 1, 2, 3]))
        );
        assert_eq!(
            run("array_shift_right", &[long(2)]),
            d(json!([null, null, 1, 2, 3]))
        );
        assert_eq!(
            run("array_shift_right", &[long(2), long(-1)]),
            d(json!([-1, -1, 1, 2, 3]))
        );
        assert_eq!(
            run("array_shift_right", &[long(i64::MIN)]),
            d(json!([null, null, null, null, null]))
        );
        assert_eq!(
            run("array_shift_left", &[long(i64::MAX)]),
            d(json!([null, null, null, null, null]))
        );
        assert_eq!(
            call("array_shift_left", &[d(json!(["a", "b"])), long(1)]),
            d(json!(["b", ""]))
        );
        assert_eq!(run("array_shift_left", &[KqlValue::Null]), KqlValue::Null);
        assert_eq!(call("array_reverse", &[s("abc")]), KqlValue::Null);
    }

    #[test]
    fn array_slice_page() {
        let slice = |arr: Json, start: i64, end: i64| {
            call("array_slice", &[d(arr), long(start), long(end)])
        };
        assert_eq!(slice(json!([1, 2, 3]), 1, 2), d(json!([2, 3])));
        assert_eq!(slice(json!([1, 2, 3, 4, 5]), 2, -1), d(json!([3, 4, 5])));
        assert_eq!(slice(json!([1, 2, 3, 4, 5]), -3, -2), d(json!([3, 4])));
        assert_eq!(slice(json!([1, 2, 3]), 0, 10), d(json!([1, 2, 3])));
        assert_eq!(slice(json!([1, 2, 3]), -10, 0), d(json!([1])));
        assert_eq!(slice(json!([1, 2, 3]), 2, 1), d(json!([])));
        assert_eq!(
            slice(json!([1, 2, 3]), i64::MIN, i64::MAX),
            d(json!([1, 2, 3]))
        );
        assert_eq!(slice(json!([]), 0, 0), d(json!([])));
    }

    #[test]
    fn array_sort_of_several_arrays() {
        use super::array_sort_several;
        let a1 = d(json!([1, 3, 4, 5, 2]));
        let a2 = d(json!(["a", "b", "c", "d", "e"]));
        // array-sort-asc-function.md and array-sort-desc-function.md.
        assert_eq!(
            array_sort_several(&[a1.clone(), a2.clone()], false),
            d(json!([[1, 2, 3, 4, 5], ["a", "e", "b", "c", "d"]]))
        );
        assert_eq!(
            array_sort_several(&[a1.clone(), a2.clone()], true),
            d(json!([[5, 4, 3, 2, 1], ["d", "c", "b", "e", "a"]]))
        );
        // An array of another length is null; nulls go last unless told otherwise.
        let short = d(json!(["x"]));
        assert_eq!(
            array_sort_several(&[a1.clone(), short], false),
            d(json!([[1, 2, 3, 4, 5], null]))
        );
        let with_null = d(json!([2, null, 1]));
        let tags = d(json!(["two", "none", "one"]));
        assert_eq!(
            array_sort_several(&[with_null.clone(), tags.clone()], false),
            d(json!([[1, 2, null], ["one", "two", "none"]]))
        );
        assert_eq!(
            array_sort_several(&[with_null, tags, KqlValue::Bool(false)], false),
            d(json!([[null, 1, 2], ["none", "one", "two"]]))
        );
        // Not an array first: every result is null.
        assert_eq!(
            array_sort_several(&[KqlValue::Null, a2], false),
            d(json!([null, null]))
        );
    }

    #[test]
    fn array_sort_pages() {
        let names = d(json!(["John", "Paul", "Jane", "Kao"]));
        assert_eq!(
            call("array_sort_asc", &[names]),
            d(json!(["Jane", "John", "Kao", "Paul"]))
        );
        let names = d(json!(["John", "Paul", "Jane", "Kayo"]));
        assert_eq!(
            call("array_sort_desc", &[names]),
            d(json!(["Paul", "Kayo", "John", "Jane"]))
        );
        let colours = d(json!([null, "blue", "yellow", "green", null]));
        assert_eq!(
            call("array_sort_asc", std::slice::from_ref(&colours)),
            d(json!(["blue", "green", "yellow", null, null]))
        );
        assert_eq!(
            call("array_sort_asc", &[colours.clone(), KqlValue::Bool(false)]),
            d(json!([null, null, "blue", "green", "yellow"]))
        );
        assert_eq!(
            call("array_sort_desc", std::slice::from_ref(&colours)),
            d(json!(["yellow", "green", "blue", null, null]))
        );
        assert_eq!(
            call("array_sort_desc", &[colours, KqlValue::Bool(false)]),
            d(json!([null, null, "yellow", "green", "blue"]))
        );
        assert_eq!(
            call("array_sort_asc", &[d(json!([1, 3, 4, 5, 2]))]),
            d(json!([1, 2, 3, 4, 5]))
        );
        // Mixed kinds: numbers, then strings, then the rest.
        assert_eq!(
            call("array_sort_asc", &[d(json!([true, "b", 2.5, "a", 1]))]),
            d(json!([1, 2.5, "a", "b", true]))
        );
        // Several arrays give several columns: refused.
        let function = super::super::lookup("array_sort_asc").unwrap();
        assert!((function.eval)(&[d(json!([1])), d(json!(["a"]))]).is_err());
        assert_eq!(call("array_sort_asc", &[s("x")]), KqlValue::Null);
    }

    #[test]
    fn array_split_page() {
        let arr = d(json!([1, 2, 3, 4, 5]));
        assert_eq!(
            call("array_split", &[arr.clone(), long(2)]),
            d(json!([[1, 2], [3, 4, 5]]))
        );
        assert_eq!(
            call("array_split", &[arr.clone(), d(json!([1, 3]))]),
            d(json!([[1], [2, 3], [4, 5]]))
        );
        assert_eq!(
            call("array_split", &[arr.clone(), long(-1)]),
            d(json!([[1, 2, 3, 4], [5]]))
        );
        assert_eq!(
            call("array_split", &[arr.clone(), long(99)]),
            d(json!([[1, 2, 3, 4, 5], []]))
        );
        assert_eq!(call("array_split", &[arr, d(json!(["a"]))]), KqlValue::Null);
    }

    #[test]
    fn array_sum_page() {
        assert_eq!(
            call("array_sum", &[d(json!([1, 2, 3, 4]))]),
            KqlValue::Real(10.0)
        );
        assert_eq!(call("array_sum", &[d(json!([1, "2"]))]), KqlValue::Null);
        assert_eq!(call("array_sum", &[d(json!([]))]), KqlValue::Real(0.0));
        assert_eq!(call("array_sum", &[KqlValue::Null]), KqlValue::Null);
    }

    #[test]
    fn bag_keys_page() {
        assert_eq!(
            call("bag_keys", &[d(json!({"a": "b", "c": 123}))]),
            d(json!(["a", "c"]))
        );
        assert_eq!(
            call("bag_keys", &[d(json!({"a": "b", "c": [{"d": 123}]}))]),
            d(json!(["a", "c"]))
        );
        assert_eq!(call("bag_keys", &[KqlValue::Null]), KqlValue::Null);
        assert_eq!(call("bag_keys", &[d(json!({}))]), d(json!([])));
        assert_eq!(call("bag_keys", &[d(json!("a"))]), KqlValue::Null);
        assert_eq!(call("bag_keys", &[d(json!([]))]), KqlValue::Null);
    }

    #[test]
    fn bag_merge_page() {
        let merged = call(
            "bag_merge",
            &[
                d(json!({"A1": 12, "B1": 2, "C1": 3})),
                d(json!({"A2": 81, "B2": 82, "A1": 1})),
            ],
        );
        assert_eq!(
            merged,
            d(json!({"A1": 12, "B1": 2, "C1": 3, "A2": 81, "B2": 82}))
        );
        // Key order is the order of first appearance.
        let keys: Vec<&String> = merged.as_bag().unwrap().keys().collect();
        assert_eq!(keys, ["A1", "B1", "C1", "A2", "B2"]);
        assert_eq!(
            call("bag_merge", &[KqlValue::Null, d(json!({"a": 1}))]),
            d(json!({"a": 1}))
        );
    }

    #[test]
    fn bag_remove_keys_page() {
        let keys = d(json!(["key2", "key4"]));
        assert_eq!(
            call(
                "bag_remove_keys",
                &[d(json!({"key1": 123, "key2": "abc"})), keys.clone()]
            ),
            d(json!({"key1": 123}))
        );
        assert_eq!(
            call(
                "bag_remove_keys",
                &[d(json!({"key1": "value", "key3": 42.0})), keys]
            ),
            d(json!({"key1": "value", "key3": 42.0}))
        );
        let bag =
            d(json!({"key1": 123, "key2": {"prop1": "abc", "prop2": "xyz"}, "key3": [100, 200]}));
        assert_eq!(
            call(
                "bag_remove_keys",
                &[bag, d(json!(["$.key2.prop1", "key3"]))]
            ),
            d(json!({"key1": 123, "key2": {"prop2": "xyz"}}))
        );
        assert_eq!(
            call("bag_remove_keys", &[d(json!([1])), d(json!(["a"]))]),
            KqlValue::Null
        );
    }

    #[test]
    fn bag_set_key_page() {
        assert_eq!(
            call(
                "bag_set_key",
                &[d(json!({"key1": 1, "key2": 2})), s("key3"), long(3)]
            ),
            d(json!({"key1": 1, "key2": 2, "key3": 3}))
        );
        assert_eq!(
            call(
                "bag_set_key",
                &[d(json!({"key1": 1, "key3": "abc"})), s("key3"), long(3)]
            ),
            d(json!({"key1": 1, "key3": 3}))
        );
        assert_eq!(
            call(
                "bag_set_key",
                &[
                    d(json!({"key1": 123, "key2": {"prop1": 123, "prop2": "xyz"}})),
                    s("$.key2.prop1"),
                    s("abc")
                ]
            ),
            d(json!({"key1": 123, "key2": {"prop1": "abc", "prop2": "xyz"}}))
        );
        assert_eq!(
            call(
                "bag_set_key",
                &[d(json!({"key1": 123})), s("$.key2.prop1"), s("abc")]
            ),
            d(json!({"key1": 123, "key2": {"prop1": "abc"}}))
        );
        assert_eq!(
            call(
                "bag_set_key",
                &[d(json!({"a": 1})), s("$['b c']"), KqlValue::Null]
            ),
            d(json!({"a": 1, "b c": null}))
        );
        assert_eq!(
            call("bag_set_key", &[KqlValue::Null, s("a"), long(1)]),
            KqlValue::Null
        );
        assert_eq!(
            call("bag_set_key", &[d(json!({"a": 1})), s("$.a[0]"), long(1)]),
            KqlValue::Null
        );
        assert_eq!(
            call("bag_set_key", &[d(json!({"a": 1})), s("$"), long(1)]),
            KqlValue::Null
        );
        assert_eq!(
            call("bag_set_key", &[d(json!({"a": 1})), s("$.a.b"), long(1)]),
            KqlValue::Null
        );
    }

    #[test]
    fn bag_has_key_page() {
        let t = KqlValue::Bool(true);
        let f = KqlValue::Bool(false);
        assert_eq!(
            call(
                "bag_has_key",
                &[d(json!({"key1": 123, "key2": "abc"})), s("key2")]
            ),
            t
        );
        assert_eq!(
            call(
                "bag_has_key",
                &[d(json!({"key1": 123, "key3": "abc"})), s("key2")]
            ),
            f
        );
        let bag =
            d(json!({"key1": 123, "key2": {"prop1": "abc", "prop2": "xyz"}, "key3": [100, 200]}));
        assert_eq!(call("bag_has_key", &[bag.clone(), s("$.key2.prop1")]), t);
        assert_eq!(call("bag_has_key", &[bag.clone(), s("$.key2.prop3")]), f);
        assert_eq!(call("bag_has_key", &[bag.clone(), s("$.key3[0]")]), f);
        assert_eq!(call("bag_has_key", &[bag, s("$.key1.x")]), f);
        assert_eq!(call("bag_has_key", &[s("x"), s("x")]), KqlValue::Null);
    }

    #[test]
    fn bag_pack_page() {
        let inner = call("bag_pack", &[s("url"), s("www.bing.com")]);
        let bag = call(
            "bag_pack",
            &[
                s("Level"),
                s("Information"),
                s("ProcessID"),
                long(1234),
                s("Data"),
                inner,
            ],
        );
        assert_eq!(
            bag,
            d(json!({"Level": "Information", "ProcessID": 1234, "Data": {"url": "www.bing.com"}}))
        );
        assert_eq!(
            call("pack", &[s("Dest"), long(100), s("Text"), s("Hi")]),
            d(json!({"Dest": 100, "Text": "Hi"}))
        );
        let when = KqlValue::DateTime(crate::kql::time::UNIX_EPOCH_TICKS);
        assert_eq!(
            call("bag_pack", &[s("t"), when, s("n"), KqlValue::Null]),
            d(json!({"t": "1970-01-01T00:00:00.0000000Z", "n": null}))
        );
        let function = super::super::lookup("bag_pack").unwrap();
        assert!((function.eval)(&[s("a"), long(1), s("b")]).is_err());
    }

    #[test]
    fn bag_zip_page() {
        let zip = |k: Json, v: Json| call("bag_zip", &[d(k), d(v)]);
        assert_eq!(
            zip(json!(["a", "b", "c"]), json!([1, "2", 3.4])),
            d(json!({"a": 1, "b": "2", "c": 3.4}))
        );
        assert_eq!(
            zip(json!(["a", "b", "c"]), json!([1, "2"])),
            d(json!({"a": 1, "b": "2", "c": null}))
        );
        assert_eq!(
            zip(json!(["a", "b"]), json!([1, "2", 2.5])),
            d(json!({"a": 1, "b": "2"}))
        );
        assert_eq!(
            zip(json!(["a", 8, "b"]), json!([1, "2", 2.5])),
            d(json!({"a": 1, "b": 2.5}))
        );
        assert_eq!(
            zip(json!(["a", 8, "b"]), json!(1)),
            d(json!({"a": null, "b": null}))
        );
        assert_eq!(zip(json!("a"), json!([1, "2", 2.5])), KqlValue::Null);
    }

    #[test]
    fn zip_page() {
        assert_eq!(
            call("zip", &[d(json!([1, 3, 5])), d(json!([2, 4, 6]))]),
            d(json!([[1, 2], [3, 4], [5, 6]]))
        );
        assert_eq!(
            call("zip", &[d(json!(["A", 1, 1.5])), d(json!([{}, "B"]))]),
            d(json!([["A", {}], [1, "B"], [1.5, null]]))
        );
        assert_eq!(
            call(
                "zip",
                &[d(json!([1, 2, 3])), d(json!(["one", "two", "three"]))]
            ),
            d(json!([[1, "one"], [2, "two"], [3, "three"]]))
        );
        assert_eq!(call("zip", &[d(json!([1])), s("x")]), KqlValue::Null);
        let function = super::super::lookup("zip").unwrap();
        assert!((function.eval)(&vec![d(json!([1])); 17]).is_err());
    }

    #[test]
    fn set_pages() {
        for x in 1..=3 {
            let (y, z) = (x * 2, x * 4);
            let w = z * 2;
            let a1 = d(json!([x, y, x, z]));
            assert_eq!(
                call(
                    "set_difference",
                    &[a1.clone(), d(json!([x, y])), d(json!([x, y, w]))]
                ),
                d(json!([z]))
            );
            assert_eq!(
                call(
                    "set_intersect",
                    &[a1.clone(), d(json!([x, y])), d(json!([w, x]))]
                ),
                d(json!([x]))
            );
            assert_eq!(
                call("set_union", &[a1, d(json!([x, y])), d(json!([w]))]),
                d(json!([x, y, z, w]))
            );
        }
        assert_eq!(
            call(
                "set_difference",
                &[d(json!([1, 2, 3])), d(json!([1, 2, 3]))]
            ),
            d(json!([]))
        );
        assert_eq!(
            call("set_intersect", &[d(json!([1, 2, 3])), d(json!([4, 5]))]),
            d(json!([]))
        );
        let arr = d(json!(["A4", "A2", "A7", "A2"]));
        assert_eq!(
            call("set_union", &[arr.clone(), arr]),
            d(json!(["A4", "A2", "A7"]))
        );
        // Bags compare by value whatever their key order.
        assert_eq!(
            call(
                "set_union",
                &[d(json!([{"a": 1, "b": 2}])), d(json!([{"b": 2, "a": 1}]))]
            ),
            d(json!([{"a": 1, "b": 2}]))
        );
        assert_eq!(
            call("set_union", &[d(json!([1])), KqlValue::Null]),
            KqlValue::Null
        );
        let arr = d(json!(["this", "is", "an", "example"]));
        assert_eq!(
            call("set_has_element", &[arr.clone(), s("example")]),
            KqlValue::Bool(true)
        );
        assert_eq!(
            call("set_has_element", &[arr, s("Example")]),
            KqlValue::Bool(false)
        );
        assert_eq!(
            call("set_has_element", &[d(json!([1.5])), KqlValue::Real(1.5)]),
            KqlValue::Bool(true)
        );
    }

    #[test]
    fn jaccard_index_page() {
        assert_eq!(
            call(
                "jaccard_index",
                &[d(json!([1, 2, 3])), d(json!([1, 2, 3, 4]))]
            ),
            KqlValue::Real(0.75)
        );
        assert_eq!(
            call("jaccard_index", &[d(json!([1, 1, 2])), d(json!([2, 3, 3]))]),
            KqlValue::Real(1.0 / 3.0)
        );
        assert_eq!(
            call("jaccard_index", &[d(json!([])), d(json!([]))]),
            KqlValue::Null
        );
        assert_eq!(
            call("jaccard_index", &[d(json!([1])), s("1")]),
            KqlValue::Null
        );
    }

    #[test]
    fn range_page() {
        let l = KqlValue::Long;
        let hour = crate::kql::time::TICKS_PER_HOUR;
        assert_eq!(
            call("range", &[l(1), l(8), l(3)]),
            KqlValue::Dynamic(serde_json::json!([1, 4, 7]))
        );
        assert_eq!(
            call("range", &[l(1), l(3)]),
            KqlValue::Dynamic(serde_json::json!([1, 2, 3]))
        );
        assert_eq!(
            call(
                "range",
                &[KqlValue::Timespan(hour), KqlValue::Timespan(3 * hour)]
            ),
            KqlValue::Dynamic(serde_json::json!(["01:00:00", "02:00:00", "03:00:00"]))
        );
        let KqlValue::Dynamic(Json::Array(days)) = call(
            "range",
            &[
                KqlValue::DateTime(crate::kql::time::parse_datetime("2007-01-01").unwrap()),
                KqlValue::DateTime(crate::kql::time::parse_datetime("2007-12-31").unwrap()),
                KqlValue::Timespan(24 * hour),
            ],
        ) else {
            panic!("not an array");
        };
        assert_eq!(days.len(), 365);
        assert_eq!(days[364], "2007-12-31T00:00:00.0000000Z");
        let KqlValue::Dynamic(Json::Array(capped)) = call("range", &[l(1), l(1_000_000_000)])
        else {
            panic!("not an array");
        };
        assert_eq!(capped.len(), 1_048_576);
        assert_eq!(
            call("range", &[l(5), l(1)]),
            KqlValue::Dynamic(serde_json::json!([]))
        );
        assert_eq!(
            call("range", &[KqlValue::Real(0.5), l(2)]),
            KqlValue::Dynamic(serde_json::json!([0.5, 1.5]))
        );
    }

    #[test]
    fn extract_json_page() {
        let json = s(r#"{"name": "John", "age": 30, "city": "New York"}"#);
        assert_eq!(
            call("extract_json", &[s("$.name"), json.clone()]),
            s("John")
        );
        assert_eq!(call("extractjson", &[s("$.age"), json.clone()]), s("30"));
        assert_eq!(
            call("extractjson", &[s("$['city']"), json.clone()]),
            s("New York")
        );
        assert_eq!(call("extractjson", &[s("$.missing"), json]), s(""));
        let doc = s(
            r#"{"Details": {"Response Code": 200, "User": {"IP Address": "192.168.1.100"},
            "Tags": ["startup", "auth"]}, "Log Level": "INFO", "n": null}"#,
        );
        let at = |path: &str| call("extract_json", &[s(path), doc.clone()]);
        assert_eq!(at("$['Log Level']"), s("INFO"));
        assert_eq!(at("$.Details['Response Code']"), s("200"));
        assert_eq!(at(r#"$.Details.User["IP Address"]"#), s("192.168.1.100"));
        assert_eq!(at("$.Details.Tags[0]"), s("startup"));
        assert_eq!(at("$.Details.Tags[5]"), s(""));
        assert_eq!(at("$.Details.Tags"), s(r#"["startup","auth"]"#));
        assert_eq!(at("$.n"), s(""));
        assert_eq!(
            call("extractjson", &[s("$[0].Name"), s(r#"[{"Name": "Corp"}]"#)]),
            s("Corp")
        );
        // A dynamic value (a bag) is read as it is.
        assert_eq!(
            call(
                "extractjson",
                &[s("$.Command"), d(json!({"Command": "Get-Item"}))]
            ),
            s("Get-Item")
        );
        assert_eq!(call("extractjson", &[s("$.a"), s("not json")]), s(""));
        assert_eq!(call("extractjson", &[s("$.a"), s("")]), s(""));
        // Wildcards, recursion and paths without $ are refused.
        let function = super::super::lookup("extract_json").unwrap();
        for path in ["$.a[*]", "$..a", "a.b", "$.a[", "$['a'", "$.a[-1]"] {
            assert!((function.eval)(&[s(path), s("{}")]).is_err(), "{path}");
        }
    }

    #[test]
    fn dynamic_to_json_page() {
        let bag1 = d(json!({
            "Y10": {}, "X8": {"c3": 1, "d8": 5, "a4": 6}, "D1": 114, "A1": 12, "B1": 2, "C1": 3,
            "A14": [15, 13, 18]
        }));
        let bag2 = d(json!({
            "X8": {"a4": 6, "c3": 1, "d8": 5}, "A14": [15, 13, 18], "C1": 3, "B1": 2, "Y10": {},
            "A1": 12, "D1": 114
        }));
        let expected = s(
            r#"{"A1":12,"A14":[15,13,18],"B1":2,"C1":3,"D1":114,"X8":{"a4":6,"c3":1,"d8":5},"Y10":{}}"#,
        );
        assert_eq!(call("dynamic_to_json", &[bag1]), expected);
        assert_eq!(call("dynamic_to_json", &[bag2]), expected);
        assert_eq!(call("dynamic_to_json", &[long(5)]), s("5"));
        assert_eq!(
            call("dynamic_to_json", &[d(json!(["a\"b"]))]),
            s(r#"["a\"b"]"#)
        );
    }
}
