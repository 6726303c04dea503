//! AK/SK request signing.
