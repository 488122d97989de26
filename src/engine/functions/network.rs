//! Network functions: each a [`RowFunction`] with its KQL page's examples as tests.

use super::RowFunction;

/// The network functions.
pub(super) const FUNCTIONS: &[RowFunction] = &[];
