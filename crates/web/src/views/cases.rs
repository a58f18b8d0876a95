//! Staff pages of wage-arrears cases.
