//! Encoding functions: each a [`RowFunction`] with its KQL page's examples as tests.

use super::RowFunction;

/// The encoding functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[];
