//! Public pages of wage-arrears cases: the report form and the lookup.
