//! Test helpers for the families' tests, and the framework's own tests.

use super::{KqlValue, lookup};

/// Runs the row function `name` on `args` (its parameter checks are the planner's, not run
/// here); panics with the function's error message.
pub(super) fn call(name: &str, args: &[KqlValue]) -> KqlValue {
    let function = lookup(name).unwrap_or_else(|| panic!("no row function '{name}'"));
    assert!(
        args.len() >= function.required && args.len() <= function.max_args(),
        "{name}() called with {} arguments",
        args.len()
    );
    (function.eval)(args).unwrap_or_else(|e| panic!("{name}(): {e}"))
}

/// A string value.
pub(super) fn s(text: &str) -> KqlValue {
    KqlValue::String(text.to_string())
}

#[test]
fn names_are_unique_and_known_to_kql() {
    let mut seen = std::collections::HashSet::new();
    for name in super::names() {
        assert!(seen.insert(name), "'{name}' is defined twice");
        assert!(
            crate::kql::analysis::is_known_function(name),
            "'{name}' is not a KQL function"
        );
    }
}

#[test]
fn required_and_params_agree() {
    for name in super::names() {
        let function = lookup(name).unwrap();
        assert!(function.required <= function.params.len(), "{name}");
    }
}
