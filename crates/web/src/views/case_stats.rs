//! Statistics pages of wage-arrears cases.
