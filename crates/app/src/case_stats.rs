//! Statistics of wage-arrears cases, and their figures for the indicator engine.
